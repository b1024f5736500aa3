package io.github.elasticimage.web;

import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.client.multipart.MultipartBody;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The asynchronous API with API keys off: submit answers 202 with the id and a {@code Location} to poll; a request no
 * worker has taken yet reads {@code pending}, then {@code done} with its own label once a worker answered, or
 * {@code failed} with the worker's reason; an unknown id is 404 and a malformed one 400, both with the JSON error.
 * The test has its own request queue, so it decides when a worker starts taking requests.
 */
class AsyncApiTest extends WebTierTest {

    private static final String REQUEST_QUEUE = "async-api-test-requests";
    private static final Argument<Map<String, Object>> JSON = Argument.mapOf(String.class, Object.class);

    @Override
    protected void configure(Map<String, String> properties) {
        CLOUD.sqs().createQueue(b -> b.queueName(REQUEST_QUEUE));
        properties.put("app.resources.request-queue", REQUEST_QUEUE);
    }

    private HttpResponse<Map<String, Object>> submit(String fileName, byte[] image) {
        return client.toBlocking().exchange(HttpRequest.POST("/api/v1/classifications", MultipartBody.builder()
                        .addPart("myfile", fileName, MediaType.IMAGE_PNG_TYPE, image).build())
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE), JSON);
    }

    private Map<String, Object> poll(String location) {
        return client.toBlocking().retrieve(HttpRequest.GET(location), JSON);
    }

    @Test
    void submitIsPendingUntilAWorkerAnswersThenDoneOrFailed() throws Exception {
        byte[] image = TestImages.png("async api");
        HttpResponse<Map<String, Object>> accepted = submit("cat.png", image);
        assertEquals(HttpStatus.ACCEPTED, accepted.getStatus());
        String id = (String) accepted.body().get("id");
        String location = accepted.header("Location");
        assertEquals("/api/v1/classifications/" + id, location);
        assertEquals(location, accepted.body().get("statusUrl"));
        assertEquals("pending", accepted.body().get("status"));

        HttpResponse<Map<String, Object>> failing = submit("FAIL-async.png", TestImages.png("async api fail"));
        String failingLocation = failing.header("Location");

        // No worker on this queue yet: both are accepted and pending.
        Map<String, Object> pending = poll(location);
        assertEquals("pending", pending.get("status"));
        assertEquals(id, pending.get("id"));
        assertNull(pending.get("label"));
        assertEquals("pending", poll(failingLocation).get("status"));

        try (FakeWorker worker = new FakeWorker(CLOUD, REQUEST_QUEUE)) {
            Map<String, Object> done = await().atMost(Duration.ofSeconds(30)).until(() -> poll(location),
                    r -> !"pending".equals(r.get("status")));
            assertEquals("done", done.get("status"), done.toString());
            assertEquals(FakeWorker.labelFor(image), done.get("label"));
            assertEquals(0.9, ((Number) done.get("confidence")).doubleValue(), 1e-9);

            Map<String, Object> failed = await().atMost(Duration.ofSeconds(30)).until(() -> poll(failingLocation),
                    r -> !"pending".equals(r.get("status")));
            assertEquals("failed", failed.get("status"), failed.toString());
            assertEquals("not an image", failed.get("reason"));
            assertNull(failed.get("label"));
        }
    }

    @Test
    void anUnknownIdIs404WithTheJsonError() {
        String unknown = UUID.randomUUID().toString();
        HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                () -> client.toBlocking().exchange(HttpRequest.GET("/api/v1/classifications/" + unknown), String.class));
        assertEquals(HttpStatus.NOT_FOUND, e.getStatus());
        Map<?, ?> error = e.getResponse().getBody(Map.class).orElseThrow();
        assertEquals(404, ((Number) error.get("status")).intValue());
        assertTrue(error.get("message").toString().contains(unknown), error.toString());
    }

    @Test
    void aMalformedIdIs400WithTheJsonError() {
        for (String bad : new String[] {"not-an-id", "123E4567-E89B-12D3-A456-426614174000", "..%2F..%2Fetc"}) {
            HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                    () -> client.toBlocking().exchange(HttpRequest.GET("/api/v1/classifications/" + bad),
                            String.class), bad);
            assertEquals(HttpStatus.BAD_REQUEST, e.getStatus(), bad);
            Map<?, ?> error = e.getResponse().getBody(Map.class).orElseThrow();
            assertTrue(error.get("message").toString().contains("not a request id"), bad + ": " + error);
        }
    }
}
