package io.github.elasticimage.web;

import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.github.elasticimage.web.queue.PendingRequests;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What callers get when the request queue is not there: {@code /health} answers 503 DOWN (a missing bucket:
 * {@link LivenessTest}), and an upload whose S3 put succeeded but whose request could not be queued is deleted again
 * and answered 503 with {@code Retry-After}, from {@code /classify} and from the asynchronous API alike. The web context here points at a
 * request queue that does not exist, so the shared servers and other tests are untouched.
 */
class UnavailableBackendTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final String INPUT_BUCKET = "unavailable-backend-test-uploads";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static EmbeddedServer web(Map<String, String> overrides) {
        Map<String, Object> properties = new HashMap<>(WebTestProperties.of(CLOUD));
        properties.putAll(overrides);
        return ApplicationContext.run(EmbeddedServer.class, properties);
    }

    private HttpResponse<String> get(EmbeddedServer server, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.getURL() + path)).timeout(Duration.ofSeconds(60))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(EmbeddedServer server, String path, byte[] png) throws Exception {
        HttpRequest request = new MultipartForm("----unavailable").file("myfile", "a.png", "image/png", png)
                .postChunked(HttpRequest.newBuilder(URI.create(server.getURL() + path))
                        .timeout(Duration.ofSeconds(60))).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static Set<String> uploads() {
        Set<String> keys = new HashSet<>();
        CLOUD.s3().listObjectsV2Paginator(b -> b.bucket(INPUT_BUCKET)).contents().forEach(o -> keys.add(o.key()));
        return keys;
    }

    @Test
    void anUploadThatCannotBeQueuedIsDeletedAndAnswered503WithRetryAfter() throws Exception {
        if (CLOUD.s3().listBuckets().buckets().stream().noneMatch(b -> b.name().equals(INPUT_BUCKET))) {
            CLOUD.s3().createBucket(b -> b.bucket(INPUT_BUCKET));
        }
        // The input bucket exists and takes the put; the request queue does not exist, so the send fails.
        try (EmbeddedServer server = web(Map.of("app.resources.input-bucket", INPUT_BUCKET,
                "app.resources.request-queue", "no-such-request-queue"))) {
            PendingRequests pending = server.getApplicationContext().getBean(PendingRequests.class);
            assertEquals(503, get(server, "/health").statusCode(), "health with the request queue missing");
            for (String path : new String[] {"/classify", "/api/v1/classifications"}) {
                Set<String> before = uploads();
                HttpResponse<String> response = post(server, path, TestImages.png("unqueued " + path));
                assertEquals(503, response.statusCode(), path + ": " + response.body());
                assertEquals("1", response.headers().firstValue("Retry-After").orElse(null), path);
                assertTrue(response.body().contains("request queue is unavailable"), path + ": " + response.body());
                Matcher id = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"").matcher(response.body());
                assertTrue(id.find(), path + ": no request id in " + response.body());
                assertEquals(before, uploads(), path + ": the upload of request " + id.group(1)
                        + " was left in the bucket");
                assertEquals(0, pending.size(), path + ": a caller is still registered as waiting");
            }
        }
    }
}
