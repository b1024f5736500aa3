package io.github.elasticimage.e2e;

import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.loadtest.Image;
import io.github.elasticimage.loadtest.LoadTestCommand;
import io.github.elasticimage.loadtest.Workload;
import io.github.elasticimage.local.LocalSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load-test CLI, in-process, fires 100 requests at once at the full local system (real loopback SQS and S3, web
 * tier and one classifier worker as their own JVMs, the real model) with the bundled sample images: every request
 * must succeed, and every caller must get the label its own image gets when sent alone.
 */
class LoadTestAgainstLocalSystemTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    @Test
    void hundredConcurrentRequestsWithTheBundledSamplesAllSucceedWithTheirOwnLabels() throws Exception {
        LocalSystem stack = SharedLocalSystem.get();
        String url = stack.webUrl().toString();

        // Each bundled sample once, alone: what the model says for it. Two are known from samples/README.md.
        Map<String, String> alone = new LinkedHashMap<>();
        for (Image image : Workload.bundled().images()) {
            alone.put(image.name(), classify(url, image));
        }
        assertEquals("espresso", alone.get("coffee.png"));
        assertEquals("Egyptian Mau", alone.get("chelsea.png"));
        assertEquals(4, alone.size());
        StringBuilder csv = new StringBuilder("file,label\n");
        alone.forEach((file, label) -> csv.append(file).append(',').append(label).append('\n'));
        Path expected = Files.writeString(tmp.resolve("expected.csv"), csv);
        Path report = tmp.resolve("report");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(new LoadTestCommand(out, false)).execute("--url", url, "--requests", "100",
                "--expected", expected.toString(), "--timeout", "120s", "--timeline-url", "none",
                "--report", report.toString());
        String text = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        String[] lines = text.strip().split("\n");
        String last = lines[lines.length - 1];

        assertTrue(last.startsWith("load-test: requests=100 ok=100 failed=0 correct=100/100 p50_ms="), last);
        assertTrue(last.endsWith(" workers_peak=unknown"), last);
        assertEquals(LoadTestCommand.EXIT_OK, exit, text);
        assertTrue(Files.size(report.resolve("report.html")) > 10_000);
        assertEquals(101, Files.readAllLines(report.resolve("requests.csv")).size());
    }

    private static String classify(String url, Image image) throws Exception {
        HttpRequest request = MultipartForm.create()
                .file("myfile", image.name(), image.contentType(), image.bytes())
                .post(HttpRequest.newBuilder(URI.create(url + "/classify"))
                        .timeout(Duration.ofSeconds(90)))
                .build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), image.name() + ": " + response.body());
        return response.body().trim();
    }
}
