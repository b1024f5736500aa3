package io.github.elasticimage.bench;

import io.github.elasticimage.e2e.ServiceJars;
import io.github.elasticimage.loadtest.LoadTestCommand;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.LocalResources;
import io.github.elasticimage.local.LocalSystem;
import io.github.elasticimage.local.SystemWarmUp;
import io.github.elasticimage.local.scaling.LocalAutoscaler;
import io.github.elasticimage.local.scaling.ScaleOutGate;
import io.github.elasticimage.local.scaling.ScalingEngine;
import io.github.elasticimage.local.scaling.ScalingPolicy;
import io.github.elasticimage.local.scaling.TimelineServer;
import io.github.elasticimage.scaling.ScalingPoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code make bench-local-scaling}: does the local autoscaler make a burst slower than one fixed worker? The system as
 * {@code make run} starts it (fresh loopback SQS and S3, the web tier, one worker, the warm-up, the policy's local
 * settings), once with the autoscaler (the policy's rule, boot niceness and scale-out gate, as {@code make run}) and once
 * without ({@code --no-autoscale}), each receiving the load-test CLI's closed bursts of {@code local-scaling.requests}
 * (100,1000) requests, the first right after the system is ready (the first burst of a fresh {@code make run}) and
 * each next one after the autoscaler is back to its minimum. One line per burst:
 * {@code local-scaling: requests=N autoscale=on|off all_done_s= first_answer_s= p50_ms= peak_workers= peak_desired=
 * retried= seen_503=} (requests the CLI retried after the web tier's 503 with Retry-After, and those 503s),
 * Each mode runs twice, in the order on, off, off, on; then one
 * {@code local-scaling: requests=N on_s= off_s= on_vs_off=} per size (the means of all_done; above 1 = the autoscaler
 * made it slower), also written to {@code target/local-scaling.txt}. Every request must succeed. Not part of {@code make test}:
 * on 2 cores shared with other work the ratio varies by more than any tolerance a guard could hold.
 */
@Tag("bench")
class LocalScalingBench {

    private static final Pattern LAST = Pattern.compile(
            "load-test: requests=(\\d+) ok=(\\d+) failed=(\\d+) .*p50_ms=([0-9.]+) .*max_ms=([0-9.]+) "
                    + ".*retried=(\\d+) seen_503=(\\d+) ");

    /** One burst's figures. */
    record Burst(int requests, boolean autoscale, double allDoneSeconds, double firstAnswerSeconds, double p50Ms,
                 int peakWorkers, int peakDesired, int retried, int seen503) {

        String line() {
            return String.format(Locale.ROOT, "local-scaling: requests=%d autoscale=%s all_done_s=%.1f "
                            + "first_answer_s=%.1f p50_ms=%.0f peak_workers=%d peak_desired=%d retried=%d seen_503=%d",
                    requests, autoscale ? "on" : "off", allDoneSeconds, firstAnswerSeconds, p50Ms, peakWorkers,
                    peakDesired, retried, seen503);
        }

        Burst withWorkers(int peakWorkers, int peakDesired) {
            return new Burst(requests, autoscale, allDoneSeconds, firstAnswerSeconds, p50Ms, peakWorkers, peakDesired,
                    retried, seen503);
        }
    }

    @Test
    void burstsWithAndWithoutTheAutoscaler() throws Exception {
        int[] sizes = Arrays.stream(System.getProperty("local-scaling.requests", "100,1000").split(","))
                .map(String::strip).mapToInt(Integer::parseInt).toArray();
        List<String> lines = new ArrayList<>();
        // In the order on, off, off, on: each mode once first and once last, so neither gains from running second
        // (a warm page cache, the worker cache trained by the first system); the ratio compares the two means.
        List<Burst> on = new ArrayList<>(run(true, sizes, lines));
        List<Burst> off = new ArrayList<>(run(false, sizes, lines));
        off.addAll(run(false, sizes, lines));
        on.addAll(run(true, sizes, lines));
        for (int i = 0; i < sizes.length; i++) {
            double onMean = (on.get(i).allDoneSeconds() + on.get(i + sizes.length).allDoneSeconds()) / 2;
            double offMean = (off.get(i).allDoneSeconds() + off.get(i + sizes.length).allDoneSeconds()) / 2;
            String line = String.format(Locale.ROOT, "local-scaling: requests=%d on_s=%.1f off_s=%.1f on_vs_off=%.2f",
                    sizes[i], onMean, offMean, onMean / offMean);
            System.out.println(line);
            lines.add(line);
        }
        Files.writeString(Path.of("target", "local-scaling.txt"), String.join("\n", lines) + "\n");
    }

    /** A fresh system (autoscaled like make run, or one fixed worker), then each burst in turn. */
    private List<Burst> run(boolean autoscale, int[] sizes, List<String> lines) throws Exception {
        ScalingPolicy policy = ScalingPolicy.packaged();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        List<Burst> bursts = new ArrayList<>();
        try (LocalAwsServers cloud = LocalAwsServers.start("127.0.0.1", 0, 0,
                Files.createTempDirectory("local-scaling-s3"), LocalResources.defaults())) {
            LocalSystem.Settings settings = new LocalSystem.Settings("127.0.0.1",
                    LocalAwsServers.freePort("127.0.0.1"), ServiceJars.web(), ServiceJars.classifier(),
                    LocalSystem.WEB_JVM_ARGS, LocalSystem.WORKER_JVM_ARGS, Map.of(),
                    Map.of("RESULT_TIMEOUT", "600s"), List.of(), autoscale ? policy.local().bootNice() : 0);
            try (LocalSystem stack = LocalSystem.start(cloud, settings, 1, quiet)) {
                SystemWarmUp.run(stack, cloud, SystemWarmUp.PER_ROUND); // as make run does before it prints ready
                LocalAutoscaler autoscaler = autoscale ? new LocalAutoscaler(cloud.sqs(),
                        cloud.queueUrl(cloud.resources().requestQueue()),
                        new ScalingEngine(policy, 1, policy.local().maxCapacity()),
                        Duration.ofSeconds(policy.local().periodSeconds()), stack, 1,
                        ScaleOutGate.of(policy.local())).start() : null;
                try (TimelineServer timeline = autoscale
                        ? TimelineServer.start("127.0.0.1", 0, autoscaler::timeline) : null) {
                    for (int requests : sizes) {
                        if (autoscaler != null) {
                            awaitMinimum(autoscaler, stack);
                        }
                        long from = System.currentTimeMillis();
                        Burst burst = burst(stack, requests, autoscale,
                                timeline == null ? "none" : timeline.url().toString());
                        if (autoscaler != null) {
                            List<ScalingPoint> during = autoscaler.timeline().stream()
                                    .filter(p -> p.t() >= from).toList();
                            burst = burst.withWorkers(
                                    Math.max(1, during.stream().mapToInt(ScalingPoint::running).max().orElse(1)),
                                    during.stream().mapToInt(ScalingPoint::desired).max().orElse(1));
                        }
                        System.out.println(burst.line());
                        lines.add(burst.line());
                        bursts.add(burst);
                    }
                } finally {
                    if (autoscaler != null) {
                        autoscaler.close();
                    }
                }
            }
        }
        return bursts;
    }

    /**
     * One closed burst through the load-test CLI, in-process; every request must succeed. The web tier's admission
     * answers 503 with Retry-After while too many uploads are in memory (a 1000 burst of the bundled samples got 753
     * of them); the CLI retries those as a well-behaved client would, within the burst's 600 s, and the line says how
     * many requests it retried and how many 503s it saw.
     */
    private static Burst burst(LocalSystem stack, int requests, boolean autoscale, String timelineUrl)
            throws Exception {
        Path report = Files.createTempDirectory("local-scaling-report");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = new CommandLine(new LoadTestCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8), false))
                .execute("--url", stack.webUrl().toString(), "--requests", Integer.toString(requests),
                        "--timeout", "600s", "--max-retries", "600", "--retry-for", "600s",
                        "--timeline-url", timelineUrl, "--report", report.toString());
        String text = bytes.toString(StandardCharsets.UTF_8);
        String[] out = text.strip().split("\n");
        Matcher last = LAST.matcher(out[out.length - 1]);
        if (exit != LoadTestCommand.EXIT_OK || !last.find()) {
            throw new AssertionError("load test of " + requests + " failed (exit " + exit + "):\n" + text);
        }
        assertEquals(requests, Integer.parseInt(last.group(2)), text);
        double firstAnswerMs = Files.readAllLines(report.resolve("requests.csv")).stream().skip(1)
                .mapToDouble(row -> Double.parseDouble(row.split(",")[3])).min().orElse(Double.NaN);
        return new Burst(requests, autoscale, Double.parseDouble(last.group(5)) / 1000.0, firstAnswerMs / 1000.0,
                Double.parseDouble(last.group(4)), 1, 1, Integer.parseInt(last.group(6)),
                Integer.parseInt(last.group(7)));
    }

    /** Waits (at most 2 minutes) until the autoscaler is back to one worker, none booting or stopping. */
    private static void awaitMinimum(LocalAutoscaler autoscaler, LocalSystem stack) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!(autoscaler.desired() == 1 && stack.readyWorkers() == 1 && stack.bootingWorkers() == 0
                && stack.stoppingWorkers() == 0)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the autoscaler did not return to 1 worker within 2 minutes: "
                        + autoscaler.timeline());
            }
            Thread.sleep(250);
        }
    }
}
