package io.github.elasticimage.web;

import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.client.multipart.MultipartBody;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page's files at {@code /}, and on the management port {@code GET /api/v1/status} (queue counts from SQS, worker
 * counts from a stand-in scaling timeline) and the Prometheus metrics at {@code /prometheus}, against real SQS and S3
 * servers on loopback.
 */
class StatusAndMetricsTest extends WebTierTest {

    private final FakeWorker worker = new FakeWorker(CLOUD);
    private final TimelineStub timeline = new TimelineStub("""
            [{"t":1764300000000,"visible":0,"inFlight":0,"desired":1,"running":1},
             {"t":1764300005000,"visible":7,"inFlight":2,"desired":3,"running":2}]""");

    /** The management port (endpoints.all.port), a client Micronaut creates and closes with the context. */
    @Inject
    @Client("http://127.0.0.1:${endpoints.all.port}")
    HttpClient management;

    StatusAndMetricsTest() throws IOException {
    }

    @Override
    protected void configure(Map<String, String> properties) {
        properties.put("app.web.scaling-timeline-url", timeline.url());
        // The status test counts marker messages it puts in the dead-letter queue: no watcher may take them
        // (DeadLetterTest holds the watcher).
        properties.put("app.dead-letter.watch", "false");
    }

    @AfterAll
    void stop() throws InterruptedException {
        worker.close();
        timeline.close();
    }

    @Test
    void thePageIsServedAtTheRoot() {
        HttpResponse<String> page = client.toBlocking().exchange(HttpRequest.GET("/"), String.class);
        assertEquals(HttpStatus.OK, page.getStatus());
        assertTrue(page.getContentType().orElseThrow().matches(MediaType.TEXT_HTML_TYPE), page.getContentType()::toString);
        assertTrue(page.body().contains("<label for=\"file-input\">"), "the file input has a label");
        assertTrue(page.body().contains("aria-live=\"polite\""), "results are announced");
        for (String file : List.of("/app.js", "/app.css")) {
            HttpResponse<String> asset = client.toBlocking().exchange(HttpRequest.GET(file), String.class);
            assertEquals(HttpStatus.OK, asset.getStatus(), file);
            assertTrue(asset.body().length() > 100, file);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void statusHasQueueCountsFromSqsAndWorkerCountsFromTheTimeline() {
        String dlq = CLOUD.queueUrl(CLOUD.resources().deadLetterQueue());
        String marker = "status-test-" + UUID.randomUUID();
        CLOUD.sqs().sendMessage(b -> b.queueUrl(dlq).messageBody(marker));
        CLOUD.sqs().sendMessage(b -> b.queueUrl(dlq).messageBody(marker));
        try {
            long expected = Long.parseLong(CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(
                    QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                    .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
            assertTrue(expected >= 2);
            // Counts are reused for up to a second: wait for a fresh reading.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                Map<String, Object> status = status();
                Map<String, Object> dead = (Map<String, Object>) status.get("deadLetterQueue");
                assertNotNull(dead, status::toString);
                assertEquals(expected, ((Number) dead.get("visible")).longValue());
                assertEquals(CLOUD.resources().deadLetterQueue(), dead.get("queue"));
                assertTrue(metrics().contains("sqs_queue_messages{queue=\"dead_letter\",state=\"visible\"} "
                        + (double) expected), "the gauge shows the same count");
            });
        } finally {
            deleteMarkers(dlq, marker, 2);
        }
        Map<String, Object> status = status();
        Map<String, Object> request = (Map<String, Object>) status.get("requestQueue");
        assertEquals(CLOUD.resources().requestQueue(), request.get("queue"));
        assertTrue(((Number) request.get("visible")).longValue() >= 0);
        assertTrue(((Number) request.get("inFlight")).longValue() >= 0);
        Map<String, Object> workers = (Map<String, Object>) status.get("workers");
        assertEquals(Map.of("t", 1764300005000L, "running", 2, "desired", 3), Map.of(
                "t", ((Number) workers.get("t")).longValue(), "running", ((Number) workers.get("running")).intValue(),
                "desired", ((Number) workers.get("desired")).intValue()), "the newest timeline point");
        Object problems = status.get("problems");
        assertTrue(problems == null || ((List<?>) problems).isEmpty(), "no problems: " + problems);
        assertEquals(0, ((Number) status.get("pending")).intValue());
    }

    @Test
    void prometheusExposesTheNamedMetricsAfterRequests() throws IOException {
        byte[] image = Files.readAllBytes(Path.of(System.getProperty("samples.dir"), "coffee.png"));
        assertEquals(FakeWorker.labelFor(image), client.toBlocking().retrieve(classify(image), String.class));
        assertThrows(HttpClientResponseException.class,
                () -> client.toBlocking().exchange(classify(new byte[0]), String.class), "an empty upload is a 400");

        String text = metrics();
        // Request latency histogram and counts by status.
        assertTrue(Pattern.compile("(?m)^http_server_requests_seconds_bucket\\{[^}]*status=\"200\"[^}]*"
                + "uri=\"/classify\"[^}]*\\} ").matcher(text).find(), "latency histogram buckets for /classify");
        assertTrue(count(text, "400") >= 1, "a count for the 400");
        assertTrue(count(text, "200") >= 1, "a count for the 200");
        assertTrue(text.contains("# TYPE web_pending_requests gauge"), "pending requests gauge");
        assertTrue(Pattern.compile("(?m)^web_pending_requests 0\\.0$").matcher(text).find(), "nobody waits now");
        for (String state : List.of("visible", "in_flight", "delayed")) {
            assertTrue(Pattern.compile("(?m)^sqs_queue_messages\\{queue=\"request\",state=\"" + state
                    + "\"\\} \\d+\\.0$").matcher(text).find(), "request queue depth " + state);
        }
        assertTrue(Pattern.compile("(?m)^sqs_queue_messages\\{queue=\"dead_letter\",state=\"visible\"\\} \\d+\\.0$")
                .matcher(text).find(), "dead-letter queue depth");
    }

    private static double count(String text, String status) {
        Matcher m = Pattern.compile("(?m)^http_server_requests_seconds_count\\{[^}]*status=\"" + status
                + "\"[^}]*uri=\"/classify\"[^}]*\\} (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static io.micronaut.http.MutableHttpRequest<MultipartBody> classify(byte[] image) {
        return HttpRequest.POST("/classify", MultipartBody.builder()
                        .addPart("myfile", "m.png", MediaType.IMAGE_PNG_TYPE, image).build())
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE);
    }

    private Map<String, Object> status() {
        return management.toBlocking().retrieve(HttpRequest.GET("/api/v1/status"),
                Argument.mapOf(String.class, Object.class));
    }

    private String metrics() {
        return management.toBlocking().retrieve(HttpRequest.GET("/prometheus"), String.class);
    }

    private static void deleteMarkers(String queueUrl, String marker, int count) {
        int[] deleted = {0};
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (Message m : CLOUD.sqs().receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages()) {
                if (m.body().equals(marker)) {
                    CLOUD.sqs().deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                    deleted[0]++;
                } else {
                    CLOUD.sqs().changeMessageVisibility(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle())
                            .visibilityTimeout(0));
                }
            }
            return deleted[0] >= count;
        });
    }
}
