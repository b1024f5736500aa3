package io.github.elasticimage.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code Idempotency-Key}: a retry with the same key, through the same or another web instance, gets the first
 * request's id and result and is not classified again; concurrent requests with one key on two instances make one
 * classification; the key is scoped to the API key; a bad key is 400 and a key reused for another image 422. Two web
 * instances (each its own application context and response queue) share the loopback SQS and S3 and a request queue
 * of this test's own, whose every message the stand-in worker records: the count of classifications is that record.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdempotencyTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final String QUEUE = "idempotency-test-requests";
    private static final String KEY_A = "idem-key-a-" + UUID.randomUUID();
    private static final String KEY_B = "idem-key-b-" + UUID.randomUUID();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private FakeWorker worker;
    private EmbeddedServer a;
    private EmbeddedServer b;

    @BeforeAll
    void start() {
        CLOUD.sqs().createQueue(q -> q.queueName(QUEUE));
        worker = new FakeWorker(CLOUD, QUEUE);
        a = ApplicationContext.run(EmbeddedServer.class, properties("idem-a"));
        b = ApplicationContext.run(EmbeddedServer.class, properties("idem-b"));
    }

    @AfterAll
    void stop() throws Exception {
        a.close();
        b.close();
        worker.close();
    }

    private static Map<String, Object> properties(String instance) {
        Map<String, Object> properties = new HashMap<>(WebTestProperties.of(CLOUD));
        properties.put("app.resources.request-queue", QUEUE);
        properties.put("app.web.instance-id", instance);
        properties.put("app.auth.api-keys", KEY_A + "," + KEY_B);
        return properties;
    }

    private HttpResponse<String> post(EmbeddedServer server, String path, String apiKey, String idempotencyKey,
                                      String fileName, byte[] image) throws Exception {
        return send(server, path, apiKey, idempotencyKey, fileName, image).get(60, TimeUnit.SECONDS);
    }

    private CompletableFuture<HttpResponse<String>> send(EmbeddedServer server, String path, String apiKey,
                                                         String idempotencyKey, String fileName, byte[] image) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Accept", "application/json")
                .header("X-Api-Key", apiKey);
        if (idempotencyKey != null) {
            builder.header("Idempotency-Key", idempotencyKey);
        }
        return http.sendAsync(MultipartForm.create().file("myfile", fileName, "image/png", image).post(builder).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** How many times the worker was asked to classify the request with this id. */
    private long classifications(String id) {
        return worker.received().stream().map(ClassificationRequest::id).filter(id::equals).count();
    }

    @Test
    void aSynchronousRetryOnAnotherInstanceGetsTheSameIdAndResultWithoutASecondClassification() throws Exception {
        byte[] image = TestImages.png("idempotent sync");
        String key = UUID.randomUUID().toString();
        HttpResponse<String> first = post(a, "/classify", KEY_A, key, "cat.png", image);
        assertEquals(200, first.statusCode(), first.body());
        String id = json(first).path("id").asText();
        assertEquals(FakeWorker.labelFor(image), json(first).path("label").asText());

        HttpResponse<String> again = post(b, "/classify", KEY_A, key, "cat.png", image);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(id, json(again).path("id").asText());
        assertEquals(FakeWorker.labelFor(image), json(again).path("label").asText());
        HttpResponse<String> onA = post(a, "/classify", KEY_A, key, "cat.png", image);
        assertEquals(id, json(onA).path("id").asText());
        assertEquals(1, classifications(id), "classified once");

        // without the key, the same image is a new request
        HttpResponse<String> noKey = post(b, "/classify", KEY_A, null, "cat.png", image);
        assertEquals(200, noKey.statusCode(), noKey.body());
        assertNotEquals(id, json(noKey).path("id").asText());
    }

    @Test
    void anAsynchronousRetryOnAnotherInstanceGetsTheSameIdAndIsQueuedOnce() throws Exception {
        byte[] image = TestImages.png("idempotent async");
        String key = "order-42:" + UUID.randomUUID();
        HttpResponse<String> first = post(a, "/api/v1/classifications", KEY_A, key, "dog.png", image);
        assertEquals(202, first.statusCode(), first.body());
        String id = json(first).path("id").asText();
        HttpResponse<String> again = post(b, "/api/v1/classifications", KEY_A, key, "dog.png", image);
        assertEquals(202, again.statusCode(), again.body());
        assertEquals(id, json(again).path("id").asText());
        await().atMost(Duration.ofSeconds(30)).until(() -> classifications(id) >= 1);
        // the synchronous API with the same key answers the same request's result
        HttpResponse<String> sync = post(b, "/classify", KEY_A, key, "dog.png", image);
        assertEquals(200, sync.statusCode(), sync.body());
        assertEquals(id, json(sync).path("id").asText());
        assertEquals(FakeWorker.labelFor(image), json(sync).path("label").asText());
        assertEquals(1, classifications(id), "queued once");
    }

    @Test
    void concurrentRequestsWithOneKeyOnTwoInstancesMakeOneClassification() throws Exception {
        byte[] image = TestImages.png("idempotent race");
        String key = UUID.randomUUID().toString();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(send(i % 2 == 0 ? a : b, "/classify", KEY_A, key, "race.png", image));
        }
        Set<String> ids = new java.util.HashSet<>();
        for (var call : calls) {
            HttpResponse<String> response = call.get(60, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode(), response.body());
            assertEquals(FakeWorker.labelFor(image), json(response).path("label").asText());
            ids.add(json(response).path("id").asText());
        }
        assertEquals(1, ids.size(), "one id: " + ids);
        String id = ids.iterator().next();
        assertEquals(1, classifications(id), "classified once");
        Set<String> raced = worker.received().stream().filter(r -> "race.png".equals(r.fileName()))
                .map(ClassificationRequest::id).collect(Collectors.toSet());
        assertEquals(Set.of(id), raced, "no other request for the racing image was queued");
    }

    @Test
    void theKeyIsScopedToTheApiKey() throws Exception {
        byte[] image = TestImages.png("idempotent scoped");
        String key = UUID.randomUUID().toString();
        HttpResponse<String> withA = post(a, "/classify", KEY_A, key, "scoped.png", image);
        HttpResponse<String> withB = post(b, "/classify", KEY_B, key, "scoped.png", image);
        assertEquals(200, withA.statusCode(), withA.body());
        assertEquals(200, withB.statusCode(), withB.body());
        assertNotEquals(json(withA).path("id").asText(), json(withB).path("id").asText());
    }

    @Test
    void aBadKeyIs400AndAKeyReusedForAnotherImageIs422() throws Exception {
        for (String bad : List.of("", "has space", "x".repeat(129), "semi;colon")) {
            HttpResponse<String> response = post(a, "/api/v1/classifications", KEY_A, bad, "bad.png",
                    TestImages.png("bad key"));
            assertEquals(400, response.statusCode(), "key '" + bad + "': " + response.body());
            assertEquals(400, json(response).path("status").asInt());
            assertTrue(json(response).path("message").asText().contains("Idempotency-Key"), response.body());
        }
        String key = UUID.randomUUID().toString();
        HttpResponse<String> first = post(a, "/api/v1/classifications", KEY_A, key, "one.png",
                TestImages.png("reused one"));
        assertEquals(202, first.statusCode(), first.body());
        HttpResponse<String> other = post(b, "/api/v1/classifications", KEY_A, key, "two.png",
                TestImages.png("reused two"));
        assertEquals(422, other.statusCode(), other.body());
        assertTrue(json(other).path("message").asText().contains("Idempotency-Key"), other.body());
        assertEquals(json(first).path("id").asText(), json(other).path("id").asText());
    }
}
