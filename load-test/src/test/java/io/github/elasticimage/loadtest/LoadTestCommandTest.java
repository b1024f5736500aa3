package io.github.elasticimage.loadtest;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI end to end against a stub web tier and autoscaler on loopback. */
class LoadTestCommandTest {

    private static final long LATENCY_MS = 200;
    private static final Pattern LAST_LINE = Pattern.compile("load-test: requests=(\\d+) ok=(\\d+) failed=(\\d+)"
            + " correct=(\\d+)/(\\d+) p50_ms=(\\d+\\.\\d) p90_ms=(\\d+\\.\\d) p99_ms=(\\d+\\.\\d) max_ms=(\\d+\\.\\d)"
            + " throughput=(\\d+\\.\\d) retried=(\\d+) seen_503=(\\d+) workers_peak=(\\d+|unknown)");

    @TempDir
    Path tmp;
    private StubWebTier stub;
    private Path images;

    record Outcome(int exit, String out, String err, Matcher last) {
        String field(int group) {
            return last.group(group);
        }

        double number(int group) {
            return Double.parseDouble(last.group(group));
        }
    }

    @BeforeEach
    void start() throws IOException {
        stub = new StubWebTier(LATENCY_MS, Map.of("coffee.png", "espresso", "chelsea.png", "Egyptian Mau",
                "n01440764_tench.png", "tench", "rocket.png", "drilling rig"));
        images = Files.createDirectories(tmp.resolve("images"));
        for (String name : List.of("coffee.png", "chelsea.png", "rocket.png")) {
            Files.write(images.resolve(name), ("fake image " + name).getBytes(StandardCharsets.UTF_8));
        }
        Files.writeString(images.resolve("notes.txt"), "not an image");
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    private Outcome run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new LoadTestCommand(out, false));
        command.setErr(new PrintWriter(err, true));
        command.setOut(new PrintWriter(out, true));
        int exit = command.execute(args);
        String text = bytes.toString(StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        Matcher last = LAST_LINE.matcher(lines[lines.length - 1]);
        return new Outcome(exit, text, err.toString(), last.matches() ? last : null);
    }

    private Path expectedCsv(String... rows) throws IOException {
        Path csv = tmp.resolve("expected.csv");
        Files.writeString(csv, "file,label\n" + String.join("\n", rows) + "\n");
        return csv;
    }

    @Test
    void allRequestsOkAndCorrectExitZeroWithPercentilesMatchingTheRequestTimes() throws IOException {
        Path report = tmp.resolve("report");
        Outcome outcome = run("--url", stub.url(), "--images", images.toString(), "--requests", "30",
                "--expected", expectedCsv("coffee.png,espresso", "chelsea.png,Egyptian Mau", "rocket.png,drilling rig")
                        .toString(), "--timeline-url", stub.timelineUrl(), "--sample-interval", "100ms",
                "--report", report.toString());

        assertTrue(outcome.last() != null, "last line format:\n" + outcome.out());
        assertEquals(0, outcome.exit(), outcome.out());
        assertEquals("30", outcome.field(1));
        assertEquals("30", outcome.field(2));
        assertEquals("0", outcome.field(3));
        assertEquals("30", outcome.field(4));
        assertEquals("30", outcome.field(5));
        assertEquals(30, stub.received());

        // Every request is held LATENCY_MS by the server, and all 30 were released at once.
        double p50 = outcome.number(6);
        double p90 = outcome.number(7);
        double p99 = outcome.number(8);
        double max = outcome.number(9);
        assertTrue(p50 >= LATENCY_MS && p50 <= p90 && p90 <= p99 && p99 <= max, outcome.out());
        assertTrue(max < LATENCY_MS + 5_000, "max " + max);

        // The printed percentiles are those of the per-request latencies in requests.csv, within HdrHistogram's
        // 3 significant digits (plus the 0.1 ms rounding of the output).
        List<Double> latencies = csvColumn(report.resolve(Report.CSV), 3);
        assertEquals(30, latencies.size());
        Histogram exact = new Histogram(3);
        latencies.forEach(ms -> exact.recordValue(Math.round(ms * 1000)));
        assertEquals(exact.getValueAtPercentile(50) / 1000.0, p50, p50 * 0.001 + 0.1);
        assertEquals(exact.getValueAtPercentile(90) / 1000.0, p90, p90 * 0.001 + 0.1);
        assertEquals(exact.getValueAtPercentile(99) / 1000.0, p99, p99 * 0.001 + 0.1);
        double trueMax = latencies.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertEquals(trueMax, max, max * 0.001 + 0.1);
        double throughput = outcome.number(10);
        assertEquals(30 / (trueMax / 1000), throughput, 30 / (trueMax / 1000) * 0.01 + 0.1);

        // The stub autoscaler ran 4 workers while requests were held, 1 before and after.
        assertEquals("4", outcome.field(13), outcome.out());
        assertTrue(outcome.out().contains("workers    1 at start, peak 4"), outcome.out());
        assertTrue(outcome.out().contains("back to min 1 at +"), outcome.out());
        assertTrue(outcome.out().contains("progress   30/30 done, 0 failed"), outcome.out());
    }

    @Test
    void failuresAndWrongLabelsAreCountedByKindAndExitNonZero() throws IOException {
        Files.write(images.resolve("fail-1.png"), new byte[] {1, 2, 3});
        Outcome outcome = run("--url", stub.url(), "--images", images.toString(), "--requests", "20",
                "--concurrency", "5", "--expected", expectedCsv("coffee.png,espresso", "chelsea.png,tabby cat",
                        "fail-1.png,espresso").toString(), "--timeline-url", "none");

        assertTrue(outcome.last() != null, outcome.out());
        assertEquals(LoadTestCommand.EXIT_FAILED, outcome.exit());
        // 4 images in turn over 20 requests: 5 each; fail-1.png answers 503 every time.
        assertEquals("5", outcome.field(3), "failed");
        assertEquals("15", outcome.field(2), "ok");
        // Checked: coffee (5, right), chelsea (5, wrong), fail-1 (5, failed) = 5/15.
        assertEquals("5", outcome.field(4));
        assertEquals("15", outcome.field(5));
        assertTrue(outcome.out().contains("errors     http_503        5  e.g. too many requests in progress (id stub-id)"),
                outcome.out());
        assertTrue(outcome.out().contains("wrong      chelsea.png: got \"Egyptian Mau\", expected \"tabby cat\" (5)"),
                outcome.out());
        // At most 5 in flight: 20 requests of 200 ms take at least 4 rounds.
        assertTrue(outcome.number(9) >= 4 * LATENCY_MS, outcome.out());
        assertEquals("unknown", outcome.field(13));
    }

    @Test
    void anApiKeyFromAFileIsSentAsABearerToken() throws IOException {
        stub.requireKey("load-test-key-0123456789");
        Outcome without = run("--url", stub.url(), "--images", images.toString(), "--requests", "3",
                "--timeline-url", "none");
        assertEquals(LoadTestCommand.EXIT_FAILED, without.exit());
        assertTrue(without.out().contains("errors     http_401        3"), without.out());

        Path key = Files.writeString(tmp.resolve("api-key"), "load-test-key-0123456789\n");
        Outcome with = run("--url", stub.url(), "--images", images.toString(), "--requests", "3",
                "--timeline-url", "none", "--api-key-file", key.toString());
        assertEquals("3", with.field(2), with.out());
        assertEquals("0", with.field(3), with.out());
        assertFalse(with.out().contains("load-test-key-0123456789"), "the key is not printed");
    }

    @Test
    void timeoutsAndRefusedConnectionsAreTheirOwnErrorKinds() throws IOException {
        Files.write(images.resolve("slow.png"), new byte[] {1});
        Outcome slow = run("--url", stub.url(), "--images", images.toString(), "--requests", "8", "--timeout",
                "1s", "--timeline-url", "none");
        assertEquals(LoadTestCommand.EXIT_FAILED, slow.exit());
        assertEquals("2", slow.field(3), slow.out());
        assertTrue(slow.out().contains("errors     timeout         2"), slow.out());
        assertEquals("0/0", slow.field(4) + "/" + slow.field(5));

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Outcome refused = run("--url", "http://127.0.0.1:" + closedPort, "--images", images.toString(),
                "--requests", "3", "--timeline-url", "http://127.0.0.1:" + closedPort + "/scaling/timeline");
        assertEquals(LoadTestCommand.EXIT_FAILED, refused.exit());
        assertEquals("0", refused.field(2));
        assertEquals("3", refused.field(3));
        assertTrue(refused.out().contains("errors     connection      3"), refused.out());
        assertEquals("unknown", refused.field(13));
        assertTrue(refused.out().contains("workers    unknown: http://127.0.0.1:" + closedPort), refused.out());
    }

    @Test
    void inputFileFieldAndLabelsFromWordNetIdsInFileNames() throws IOException {
        Path photos = Files.createDirectories(tmp.resolve("photos"));
        Files.write(photos.resolve("n01440764_tench.png"), new byte[] {1});
        Path synsets = tmp.resolve("synset_wnid.txt");
        Files.writeString(synsets, "n01440764 tench\nn01443537 goldfish\n");
        Outcome outcome = run("--url", stub.url(), "--images", photos.toString(), "--requests", "4", "--field",
                "inputFile", "--labels-from-names", "--synsets", synsets.toString(), "--timeline-url", "none");
        assertEquals(0, outcome.exit(), outcome.out());
        assertEquals("4/4", outcome.field(4) + "/" + outcome.field(5));
    }

    @Test
    void reportHasTheThreeChartsAsEmbeddedPngsAndOneCsvRowPerRequest() throws IOException {
        Path report = tmp.resolve("out");
        Files.write(images.resolve("fail-1.png"), new byte[] {1});
        Outcome outcome = run("--url", stub.url(), "--images", images.toString(), "--requests", "12",
                "--timeline-url", stub.timelineUrl(), "--sample-interval", "100ms", "--report", report.toString());
        assertEquals(LoadTestCommand.EXIT_FAILED, outcome.exit());

        String html = Files.readString(report.resolve(Report.HTML));
        Matcher png = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        int charts = 0;
        while (png.find()) {
            byte[] image = Base64.getDecoder().decode(png.group(1));
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(image, 4));
            assertTrue(image.length > 2_000, "chart too small to hold a plot: " + image.length);
            charts++;
        }
        assertEquals(3, charts, "latency histogram, completions over time, queue and workers");
        assertTrue(html.contains("Errors by kind") && html.contains("http_503"));
        assertTrue(html.contains(outcome.last().group()), "report repeats the summary line");

        List<String> csv = Files.readAllLines(report.resolve(Report.CSV));
        assertEquals("file,start_ms,end_ms,latency_ms,status,label,expected,correct,error,attempts,seen_503",
                csv.get(0));
        assertEquals(13, csv.size());
        assertTrue(csv.get(1).startsWith("chelsea.png,"), csv.get(1));
        assertEquals(3, csv.stream().filter(row -> row.startsWith("fail-1.png,") && row.contains(",503,")).count());
    }

    @Test
    void aRequestPushedBackWithRetryAfterIsSentAgainAfterTheDelayAndCountedFromItsFirstAttempt() throws IOException {
        stub.refuseNext(1, 503, "1");
        Path report = tmp.resolve("retried");
        Outcome outcome = run("--url", stub.url(), "--images", images.toString(), "--requests", "1", "--expected",
                expectedCsv("chelsea.png,Egyptian Mau").toString(), "--timeline-url", "none", "--report",
                report.toString());

        assertEquals(0, outcome.exit(), outcome.out());
        assertEquals("1 0 1/1", outcome.field(2) + " " + outcome.field(3) + " " + outcome.field(4) + "/"
                + outcome.field(5), outcome.out());
        assertEquals("1", outcome.field(11), "retried\n" + outcome.out());
        assertEquals("1", outcome.field(12), "seen_503\n" + outcome.out());
        assertTrue(outcome.out().contains("retries    1 requests retried (1 retries) after 503/429 with Retry-After;"
                + " 503 answers seen 1; 0 still pushed back"), outcome.out());
        // Sent twice, the second time after the 1 s the header asked for plus at most a quarter more of jitter.
        List<Long> arrivals = stub.arrivals();
        assertEquals(2, arrivals.size());
        double gapMs = (arrivals.get(1) - arrivals.get(0)) / 1e6;
        assertTrue(gapMs >= 1_000 && gapMs < 1_250 + 1_000, "gap between attempts " + gapMs + " ms");
        // The latency is the caller's: from the first attempt, so the wait and the held answer are both in it.
        assertTrue(outcome.number(9) >= 1_000 + LATENCY_MS, outcome.out());
        List<String> row = Csv.split(Files.readAllLines(report.resolve(Report.CSV)).get(1));
        assertEquals("chelsea.png", row.get(0));
        assertEquals("200", row.get(4));
        assertEquals("2", row.get(9), "attempts");
        assertEquals("1", row.get(10), "seen_503");
        assertTrue(Double.parseDouble(row.get(3)) - Double.parseDouble(row.get(1)) >= 1_000 + LATENCY_MS,
                "service time from the first send: " + row);
    }

    @Test
    void aRequestAlwaysPushedBackFailsAtTheRetryBounds() throws IOException {
        stub.refuseNext(Integer.MAX_VALUE, 503, "1");
        Outcome bounded = run("--url", stub.url(), "--images", images.toString(), "--requests", "1",
                "--timeline-url", "none", "--max-retries", "2");
        assertEquals(LoadTestCommand.EXIT_FAILED, bounded.exit(), bounded.out());
        assertEquals("0 1", bounded.field(2) + " " + bounded.field(3), bounded.out());
        assertEquals(3, stub.received(), "first attempt and 2 retries");
        assertEquals("1 3", bounded.field(11) + " " + bounded.field(12), bounded.out());
        assertTrue(bounded.out().contains("errors     http_503        1  e.g. uploads in memory on this instance are"
                + " at their limit (id stub-refused)"), bounded.out());
        assertTrue(bounded.out().contains("503 answers seen 3; 1 still pushed back at the retry bounds"),
                bounded.out());

        // The deadline: a retry 1-1.25 s after the first attempt fits in 1.5 s, the next one would not.
        Outcome deadline = run("--url", stub.url(), "--images", images.toString(), "--requests", "1",
                "--timeline-url", "none", "--max-retries", "10", "--retry-for", "1500ms");
        assertEquals(LoadTestCommand.EXIT_FAILED, deadline.exit(), deadline.out());
        assertEquals(3 + 2, stub.received(), deadline.out());
        assertEquals("1 2", deadline.field(11) + " " + deadline.field(12), deadline.out());

        Outcome off = run("--url", stub.url(), "--images", images.toString(), "--requests", "2",
                "--timeline-url", "none", "--max-retries", "0");
        assertEquals(LoadTestCommand.EXIT_FAILED, off.exit(), off.out());
        assertEquals(5 + 2, stub.received(), off.out());
        assertEquals("0 2", off.field(11) + " " + off.field(12), off.out());
        assertTrue(off.out().contains("retries off"), off.out());
    }

    @Test
    void onlyA503Or429WithRetryAfterIsRetried() throws IOException {
        stub.refuseNext(Integer.MAX_VALUE, 500, "1");
        Outcome serverError = run("--url", stub.url(), "--images", images.toString(), "--requests", "2",
                "--timeline-url", "none");
        assertEquals(LoadTestCommand.EXIT_FAILED, serverError.exit(), serverError.out());
        assertEquals(2, stub.received(), "a 500 is not retried, Retry-After or not");
        assertEquals("2 0 0", serverError.field(3) + " " + serverError.field(11) + " " + serverError.field(12));
        assertTrue(serverError.out().contains("errors     http_500        2"), serverError.out());

        stub.refuseNext(Integer.MAX_VALUE, 503, null);
        Outcome noHeader = run("--url", stub.url(), "--images", images.toString(), "--requests", "2",
                "--timeline-url", "none");
        assertEquals(2 + 2, stub.received(), "a 503 without Retry-After is not retried");
        assertEquals("2 0 2", noHeader.field(3) + " " + noHeader.field(11) + " " + noHeader.field(12));

        stub.refuseNext(1, 429, "0");
        Outcome tooMany = run("--url", stub.url(), "--images", images.toString(), "--requests", "1",
                "--timeline-url", "none");
        assertEquals(0, tooMany.exit(), tooMany.out());
        assertEquals(4 + 2, stub.received(), "a 429 with Retry-After is retried");
        assertEquals("0 1 0", tooMany.field(3) + " " + tooMany.field(11) + " " + tooMany.field(12));
    }

    @Test
    void badOptionsExitWithUsageStatus() {
        Outcome outcome = run("--url", stub.url(), "--field", "image");
        assertEquals(LoadTestCommand.EXIT_USAGE, outcome.exit());
        assertTrue(outcome.err().contains("--field must be myfile, inputFile or file"), outcome.err());
        assertEquals(LoadTestCommand.EXIT_USAGE, run("--labels-from-names").exit());
        assertEquals(LoadTestCommand.EXIT_USAGE, run("--images", tmp.resolve("missing").toString()).exit());
        Outcome badRegion = run("--url", stub.url(), "--queue-url", "http://127.0.0.1:1/q", "--region", "Europe");
        assertEquals(LoadTestCommand.EXIT_USAGE, badRegion.exit());
        assertTrue(badRegion.err().contains("--region must be a region code"), badRegion.err());
        assertEquals(LoadTestCommand.EXIT_USAGE, run("--url", stub.url(), "--max-retries", "-1").exit());
        assertEquals(LoadTestCommand.EXIT_USAGE, run("--url", stub.url(), "--retry-for", "soon").exit());
        assertEquals(0, stub.received());
    }

    @Test
    void bundledSamplesAreTheDefaultWorkloadWithTheirLabels() throws IOException {
        Workload bundled = Workload.bundled();
        assertEquals(List.of("coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg"),
                bundled.images().stream().map(Image::name).toList());
        assertEquals("espresso", bundled.expected().get("coffee.png"));
        assertEquals("Egyptian Mau", bundled.expected().get("chelsea.png"));
        assertTrue(bundled.images().stream().allMatch(image -> image.bytes().length > 10_000));
    }

    private static List<Double> csvColumn(Path csv, int column) throws IOException {
        List<Double> values = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            values.add(Double.parseDouble(Csv.split(line).get(column)));
        }
        return values;
    }
}
