package io.github.elasticimage.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.elasticimage.local.ServiceProcess;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault 2: under a steady load, the SQS server is stopped for 10 s and started again on the same port, then the S3
 * server. Every request must end within its timeout, either answered correctly or refused with 503 (the web tier's
 * SDK calls are bounded, so a refusal is fast), nothing may hang, and afterwards the service works without a restart:
 * each web instance recreates its response queue, which the SQS restart lost.
 *
 * <p>ElasticMQ keeps messages in memory, so its restart also drops every request and answer that was queued at that
 * moment (real SQS does not lose stored messages in an outage). The web tier notices the loss when it finds its
 * response queue gone, recreates it and answers every caller still waiting with 503 (retry) at once; no caller is left
 * to time out. A 504 is counted as {@code lost} and fails the test. During the S3 outage the request queue has the production visibility timeout (30 s), so a job that failed
 * on S3 is retried once the server is back instead of being dead-lettered after 3 quick receives.
 */
class OutageChaosTest {

    private static final int RESULT_TIMEOUT_S = 50;
    private static final int CLIENTS = 4;
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    /** The web tier's bound on one SDK call (AwsClientTimeouts: 10 s) plus the upload and the response. */
    private static final long MAX_503_MS = 15_000;

    record Outcome(Path image, long startMs, long endMs, int status, String label, String id, String error) {
        long ms() {
            return endMs - startMs;
        }
    }

    @Test
    void sqsThenS3StoppedForTenSecondsEveryRequestSucceedsOrFailsFastAndTheServiceRecovers() throws Exception {
        ChaosStack chaos = ChaosStack.get();
        chaos.ensureWorkers(1);
        ServiceProcess web = chaos.startWeb("web-outage", Map.of("RESULT_TIMEOUT", RESULT_TIMEOUT_S + "s",
                "INSTANCE_ID", "outage-web"));
        try {
            run(chaos, web.baseUrl());
        } finally {
            web.stop(Duration.ofSeconds(15));
            chaos.setRequestQueueAttribute(QueueAttributeName.VISIBILITY_TIMEOUT,
                    Integer.toString(ChaosStack.VISIBILITY_TIMEOUT_S));
        }
    }

    private void run(ChaosStack chaos, URI webUrl) throws Exception {
        List<Path> images = chaos.images();
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        java.util.function.LongSupplier now = () -> (System.nanoTime() - start) / 1_000_000;
        // Production visibility timeout for this scenario (see the class comment).
        chaos.setRequestQueueAttribute(QueueAttributeName.VISIBILITY_TIMEOUT, "30");
        var loadOn = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                int i = client;
                while (loadOn.get()) {
                    Path image = images.get(i++ % images.size());
                    long sent = now.getAsLong();
                    Outcome outcome;
                    try {
                        HttpResponse<String> r = ChaosStack.classify(webUrl, image,
                                Duration.ofSeconds(RESULT_TIMEOUT_S + 20)).get(RESULT_TIMEOUT_S + 25, TimeUnit.SECONDS);
                        JsonNode body = ChaosStack.json(r.body());
                        outcome = new Outcome(image, sent, now.getAsLong(), r.statusCode(),
                                body.path("label").asText(null), body.path("id").asText(null),
                                r.statusCode() == 200 ? null : r.body());
                    } catch (Exception e) {
                        outcome = new Outcome(image, sent, now.getAsLong(), -1, null, null, e.toString());
                    }
                    outcomes.add(outcome);
                    if (outcome.status() != 200) {
                        sleep(250);
                    }
                }
            }, "chaos-client-" + c);
            t.start();
            clients.add(t);
        }

        sleep(6_000);
        long sqsStop = now.getAsLong();
        chaos.cloud.stopSqs();
        sleep(OUTAGE.toMillis());
        chaos.cloud.restartSqs();
        chaos.setRequestQueueAttribute(QueueAttributeName.VISIBILITY_TIMEOUT, "30");
        long sqsBack = now.getAsLong();
        sleep(6_000);
        long s3Stop = now.getAsLong();
        chaos.cloud.stopS3();
        sleep(OUTAGE.toMillis());
        chaos.cloud.restartS3();
        long s3Back = now.getAsLong();
        sleep(4_000);
        loadOn.set(false);
        for (Thread t : clients) {
            t.join(TimeUnit.SECONDS.toMillis(RESULT_TIMEOUT_S + 40));
            assertTrue(!t.isAlive(), t.getName() + " still waiting: a request hangs");
        }
        long loadDone = now.getAsLong();

        // Recovery without restarting anything: this web tier and the stack's own one both answer again.
        long r0 = now.getAsLong();
        Path coffee = images.get(0);
        HttpResponse<String> after = ChaosStack.classify(webUrl, coffee, Duration.ofSeconds(RESULT_TIMEOUT_S + 10))
                .get(RESULT_TIMEOUT_S + 15, TimeUnit.SECONDS);
        HttpResponse<String> afterStackWeb = ChaosStack.classify(chaos.stack.webUrl(), coffee,
                Duration.ofSeconds(RESULT_TIMEOUT_S + 10)).get(RESULT_TIMEOUT_S + 15, TimeUnit.SECONDS);
        long recoveryMs = now.getAsLong() - r0;

        int answered = 0;
        int correct = 0;
        int duplicates = 0;
        int refused = 0;
        int lost = 0;
        long max503 = 0;
        long maxOk = 0;
        Set<String> ids = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (Outcome o : outcomes) {
            switch (o.status()) {
                case 200 -> {
                    answered++;
                    maxOk = Math.max(maxOk, o.ms());
                    if (!ids.add(o.id())) {
                        duplicates++;
                    }
                    if (chaos.expected.get(o.image()).equals(o.label())) {
                        correct++;
                    } else {
                        problems.add("wrong label " + o);
                    }
                }
                case 503 -> {
                    refused++;
                    max503 = Math.max(max503, o.ms());
                    // A request in flight when SQS lost its messages is answered 503 once the web tier notices the
                    // loss (when it finds its response queue gone), within its timeout; any other 503 is immediate.
                    // (the poller notices within its back-off of at most 5 s after SQS is back)
                    boolean lostInTheRestart = o.startMs() < sqsBack + 10_000 && o.endMs() >= sqsStop;
                    long limit = lostInTheRestart ? TimeUnit.SECONDS.toMillis(RESULT_TIMEOUT_S) : MAX_503_MS;
                    if (o.ms() > limit) {
                        problems.add("503 after " + o.ms() + " ms (limit " + limit + "): " + o);
                    }
                }
                case 504 -> {
                    lost++;
                    if (o.startMs() >= sqsBack) {
                        problems.add("504 for a request sent after the SQS restart: " + o);
                    }
                    if (o.ms() > TimeUnit.SECONDS.toMillis(RESULT_TIMEOUT_S) + 5_000) {
                        problems.add("504 later than its timeout: " + o);
                    }
                }
                default -> problems.add("neither an answer nor 503: " + o);
            }
        }
        long inFlightAtSqsStop = outcomes.stream().filter(o -> o.startMs() < sqsStop && o.endMs() > sqsStop).count();

        System.out.println(String.format("chaos: sqs-s3-outage requests=%d answered=%d"
                + " correct=%d duplicates=%d lost=%d",
                outcomes.size(), answered, correct, duplicates, lost));
        System.out.printf("chaos-detail: sqs-s3-outage refused_503=%d max_503_ms=%d max_answer_ms=%d "
                + "in_flight_at_sqs_stop=%d sqs_down_ms=%d-%d s3_down_ms=%d-%d load_done_ms=%d recovery_ms=%d "
                + "result_timeout_s=%d%n", refused, max503, maxOk, inFlightAtSqsStop, sqsStop, sqsBack, s3Stop, s3Back,
                loadDone, recoveryMs, RESULT_TIMEOUT_S);

        assertTrue(problems.isEmpty(), "outcomes outside 'answered or fast 503': " + problems);
        assertEquals(answered, correct);
        assertEquals(0, duplicates);
        assertTrue(refused > 0, "no request was refused: the outages did not happen during the load");
        assertEquals(0, lost, "callers left to time out (504) instead of an answer or a 503");
        assertEquals(200, after.statusCode(), "after the outage: " + after.body());
        assertEquals(chaos.expected.get(coffee), ChaosStack.json(after.body()).path("label").asText());
        assertEquals(200, afterStackWeb.statusCode(), "stack web after the outage: " + afterStackWeb.body());
        assertEquals(chaos.expected.get(coffee), ChaosStack.json(afterStackWeb.body()).path("label").asText());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
