package io.github.elasticimage.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.loadtest.HttpTimelineSource;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.LocalResources;
import io.github.elasticimage.local.LocalSystem;
import io.github.elasticimage.local.scaling.LocalAutoscaler;
import io.github.elasticimage.local.scaling.ScalingEngine;
import io.github.elasticimage.local.scaling.ScalingPolicy;
import io.github.elasticimage.local.scaling.TimelineServer;
import io.github.elasticimage.scaling.ScalingPoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local autoscaler on the real stack: its own loopback SQS and S3 (so no other test's worker takes these
 * requests), the web tier and classifier worker JVMs started and stopped by the autoscaler per scaling-policy.json,
 * from the AWS minimum of 0. A burst must drive the workers above 1 and back to 0, every request answered exactly once.
 */
class AutoscalingTest {

    private static final Path FIXTURES = Path.of(System.getProperty("shared.dir", "../../shared"), "fixtures",
            "imagenet-sample");
    private static final int REQUESTS = 48;
    private static final int MAX_WORKERS = 3;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LocalAwsServers cloud;
    private static LocalSystem stack;
    private static LocalAutoscaler autoscaler;
    private static TimelineServer timelineServer;
    /** Every "job id=..." line the workers printed: which worker processed which request. */
    private static final WorkerJobLog JOBS = new WorkerJobLog(System.out);

    @BeforeAll
    static void startStackWithAutoscaler() throws IOException {
        Path webJar = ServiceJars.web();
        Path classifierJar = ServiceJars.classifier();
        cloud = LocalAwsServers.start("127.0.0.1", 0, 0, Files.createTempDirectory("autoscaling-s3"),
                LocalResources.defaults());
        LocalSystem.Settings settings = new LocalSystem.Settings("127.0.0.1", LocalAwsServers.freePort("127.0.0.1"),
                webJar, classifierJar, LocalSystem.WEB_JVM_ARGS, LocalSystem.WORKER_JVM_ARGS, Map.of(),
                // Workers boot from zero on a shared 2-core machine: give callers time for that.
                Map.of("RESULT_TIMEOUT", "150s"));
        stack = LocalSystem.start(cloud, settings, 0, JOBS.printStream());
        ScalingPolicy policy = ScalingPolicy.packaged();
        autoscaler = new LocalAutoscaler(cloud.sqs(), cloud.queueUrl(cloud.resources().requestQueue()),
                new ScalingEngine(policy, policy.minCapacity(), MAX_WORKERS),
                Duration.ofSeconds(policy.local().periodSeconds()), stack, policy.minCapacity()).start();
        timelineServer = TimelineServer.start("127.0.0.1", 0, autoscaler::timeline);
    }

    @AfterAll
    static void stop() {
        if (autoscaler != null) {
            autoscaler.close();
            timelineServer.close();
        }
        if (stack != null) {
            stack.close();
        }
        if (cloud != null) {
            cloud.close();
        }
    }

    @Test
    void aBurstScalesWorkersOutFromZeroAndBackWithEveryRequestAnsweredOnce() throws Exception {
        List<Path> photos;
        try (Stream<Path> files = Files.list(FIXTURES)) {
            photos = files.filter(Files::isRegularFile).sorted().toList();
        }
        assertTrue(photos.size() >= 10, "fixture photos missing in " + FIXTURES.toAbsolutePath());
        awaitTrue(() -> autoscaler.timeline().size() >= 2, Duration.ofSeconds(30), "autoscaler sampling");
        assertEquals(0, stack.readyWorkers() + stack.bootingWorkers(), "min is 0: no worker before the burst");

        long start = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            calls.add(classify(photos.get(i % photos.size())));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(170, TimeUnit.SECONDS);
        long doneMs = (System.nanoTime() - start) / 1_000_000;

        Set<String> answeredIds = new java.util.HashSet<>();
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            HttpResponse<String> response = call.join();
            assertEquals(200, response.statusCode(), response.body());
            JsonNode body = JSON.readTree(response.body());
            assertTrue(!body.path("label").asText().isBlank(), response.body());
            assertTrue(answeredIds.add(body.path("id").asText()), "two callers got the same answer: " + body);
        }
        assertEquals(REQUESTS, answeredIds.size());

        // Back to min (0) once the queue was empty for the scale-in window, and the stopped JVMs drained and exited.
        awaitTrue(() -> autoscaler.desired() == 0 && stack.readyWorkers() == 0 && stack.bootingWorkers() == 0
                && stack.stoppingWorkers() == 0, Duration.ofSeconds(60), "scale-in to 0");
        long scaledInMs = (System.nanoTime() - start) / 1_000_000;

        List<ScalingPoint> timeline = fetchTimeline();
        int peakRunning = timeline.stream().mapToInt(ScalingPoint::running).max().orElse(0);
        int peakDesired = timeline.stream().mapToInt(ScalingPoint::desired).max().orElse(0);
        Set<String> workersUsed = JOBS.all().stream().map(WorkerJobLog.Job::worker).collect(Collectors.toSet());
        System.out.printf("autoscaling: requests=%d done_ms=%d scaled_in_ms=%d peak_desired=%d peak_running=%d "
                + "workers_with_jobs=%d samples=%d%n", REQUESTS, doneMs, scaledInMs, peakDesired, peakRunning,
                workersUsed.size(), timeline.size());

        assertEquals(MAX_WORKERS, peakDesired, "a burst of " + REQUESTS + " asks for the local max");
        assertTrue(peakRunning > 1, "workers never ran in parallel: " + timeline);
        ScalingPoint last = timeline.get(timeline.size() - 1);
        assertEquals(0, last.desired());
        assertEquals(0, last.running());
        // Capacity only ever went down with nothing visible and nothing in flight.
        for (int i = 1; i < timeline.size(); i++) {
            ScalingPoint before = timeline.get(i - 1);
            ScalingPoint now = timeline.get(i);
            if (now.desired() < before.desired()) {
                assertEquals(0, now.visible() + now.inFlight(), "scaled in with work queued or in flight: " + now);
            }
        }

        // Each request was processed (and so answered) by exactly one worker, once: no loss, no duplicate.
        Map<String, Long> perId = JOBS.all().stream().collect(Collectors.groupingBy(WorkerJobLog.Job::id,
                Collectors.counting()));
        assertEquals(answeredIds, perId.keySet(), "requests processed differ from requests answered");
        assertTrue(perId.values().stream().allMatch(n -> n == 1), "a request was processed twice: " + perId);
        Map<QueueAttributeName, String> request = queueAttributes(cloud.resources().requestQueue());
        assertEquals("0", request.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
        assertEquals("0", request.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
        // Visible and held: the web tier's dead-letter watcher hides each dead letter it reports.
        Map<QueueAttributeName, String> deadLetters = queueAttributes(cloud.resources().deadLetterQueue());
        assertEquals("0", deadLetters.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
        assertEquals("0", deadLetters.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }

    private static Map<QueueAttributeName, String> queueAttributes(String queue) {
        return cloud.sqs().getQueueAttributes(b -> b.queueUrl(cloud.queueUrl(queue)).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
    }

    /** The timeline as the load-test CLI reads it: over HTTP, JSON. */
    private static List<ScalingPoint> fetchTimeline() throws IOException, InterruptedException {
        return new HttpTimelineSource(timelineServer.url()).sample();
    }

    private static CompletableFuture<HttpResponse<String>> classify(Path photo) throws IOException {
        HttpRequest request = MultipartForm.create()
                .file("myfile", photo.getFileName().toString(), "image/jpeg", Files.readAllBytes(photo))
                .post(HttpRequest.newBuilder(URI.create(stack.webUrl() + "/classify"))
                        .timeout(Duration.ofSeconds(170))
                        .header("Accept", "application/json"))
                .build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code condition} every 250 ms until it holds or {@code timeout} passes. */
    private static void awaitTrue(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + timeout + "; timeline: "
                        + autoscaler.timeline());
            }
            Thread.sleep(250);
        }
    }
}
