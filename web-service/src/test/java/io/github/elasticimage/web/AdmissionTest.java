package io.github.elasticimage.web;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.github.elasticimage.web.api.Admission;
import io.github.elasticimage.web.api.AdmissionRefusals;
import io.github.elasticimage.web.api.ApiExceptionHandler;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One admission rule for both submit APIs ({@code Admission}): uploads in memory are bounded in bytes
 * ({@code MAX_UPLOAD_MEMORY}), decided from the headers before the body is read, and the asynchronous API is refused
 * like {@code /classify} while {@code MAX_PENDING} callers wait. Each refusal is 503 with {@code Retry-After} and the
 * JSON error; refusals are counted by reason and summed up in the log, not logged one by one.
 */
class AdmissionTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static String ownQueue(String name) {
        CLOUD.sqs().createQueue(b -> b.queueName(name));
        return name;
    }

    private static Map<String, Object> properties(String queue) {
        Map<String, Object> properties = new HashMap<>(WebTestProperties.of(CLOUD));
        properties.put("app.resources.request-queue", queue);
        return properties;
    }

    private static void assertRefused(HttpResponse<String> response, String reason) throws Exception {
        assertEquals(503, response.statusCode(), response.body());
        assertEquals("1", response.headers().firstValue("Retry-After").orElse(null), "Retry-After");
        JsonNode body = JSON.readTree(response.body());
        assertEquals(503, body.path("status").asInt(), response.body());
        assertTrue(body.path("message").asText().contains(reason), response.body());
    }

    @Test
    void uploadsBeyondTheByteBoundAre503WithRetryAfter() throws Exception {
        String queue = ownQueue("admission-bytes-requests");
        Map<String, Object> properties = properties(queue);
        properties.put("micronaut.server.max-request-size", "1MB");
        properties.put("micronaut.server.multipart.max-file-size", "1MB");
        properties.put("app.web.max-upload-memory", "1MB");
        try (FakeWorker worker = new FakeWorker(CLOUD, queue);
             EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            Admission admission = server.getApplicationContext().getBean(Admission.class);
            byte[] slowImage = padded(TestImages.png("slow upload"), 600_000);
            MultipartForm slowForm = new MultipartForm("----slow").file("myfile", "slow.png", "image/png", slowImage);
            byte[] slowBody = slowForm.toByteArray();
            try (Socket slow = new Socket(server.getHost(), server.getPort())) {
                // headers and half the body: admitted at its Content-Length, still being received
                OutputStream out = slow.getOutputStream();
                out.write(("POST /classify HTTP/1.1\r\nHost: " + server.getHost() + "\r\nContent-Type: "
                        + slowForm.contentType() + "\r\nContent-Length: " + slowBody.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(slowBody, 0, slowBody.length / 2);
                out.flush();
                await().atMost(Duration.ofSeconds(30)).until(() -> admission.uploadBytesHeld() == slowBody.length);

                for (String path : new String[] {"/classify", "/api/v1/classifications"}) {
                    byte[] other = padded(TestImages.png("other " + path), 500_000);
                    HttpResponse<String> refused = http.send(MultipartForm.create()
                            .file("myfile", "other.png", "image/png", other)
                            .post(HttpRequest.newBuilder(URI.create(server.getURL() + path))).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertRefused(refused, "MAX_UPLOAD_MEMORY");
                }

                out.write(slowBody, slowBody.length / 2, slowBody.length - slowBody.length / 2);
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(slow.getInputStream(),
                        StandardCharsets.US_ASCII));
                assertEquals("HTTP/1.1 200 OK", in.readLine(), "the slow upload, once complete, is classified");
            }
            // stored uploads no longer count: a waiting caller holds no upload bytes
            assertEquals(0, admission.uploadBytesHeld());
            byte[] after = padded(TestImages.png("after"), 900_000);
            HttpResponse<String> ok = http.send(MultipartForm.create().file("myfile", "after.png", "image/png", after)
                    .post(HttpRequest.newBuilder(URI.create(server.getURL() + "/classify"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(FakeWorker.labelFor(after), ok.body());
        }
    }

    @Test
    void theAsynchronousApiIsRefusedWhenMaxPendingCallersWait() throws Exception {
        String queue = ownQueue("admission-pending-requests");
        Map<String, Object> properties = properties(queue);
        properties.put("app.web.max-pending", 1);
        properties.put("app.web.result-timeout", "5s");
        try (FakeWorker worker = new FakeWorker(CLOUD, queue);
             EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            CompletableFuture<HttpResponse<String>> waiting = FakeWorker.oneSilentCaller(http, server);

            HttpResponse<String> refused = http.send(MultipartForm.create()
                    .file("myfile", "async.png", "image/png", TestImages.png("async"))
                    .post(HttpRequest.newBuilder(URI.create(server.getURL() + "/api/v1/classifications"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertRefused(refused, "limit 1");

            assertEquals(504, waiting.get(60, TimeUnit.SECONDS).statusCode());
            HttpResponse<String> accepted = http.send(MultipartForm.create()
                    .file("myfile", "async.png", "image/png", TestImages.png("async"))
                    .post(HttpRequest.newBuilder(URI.create(server.getURL() + "/api/v1/classifications"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, accepted.statusCode(), accepted.body());
        }
    }

    @Test
    void refusalsAreCountedAndSummedUpNotLoggedOneByOne() throws Exception {
        String queue = ownQueue("admission-log-requests");
        Map<String, Object> properties = properties(queue);
        properties.put("app.web.max-pending", 1);
        properties.put("app.web.result-timeout", "5s");
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger(AdmissionRefusals.class),
                (Logger) LoggerFactory.getLogger(ApiExceptionHandler.class));
        events.start();
        loggers.forEach(logger -> logger.addAppender(events));
        try (FakeWorker worker = new FakeWorker(CLOUD, queue);
             EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            CompletableFuture<HttpResponse<String>> waiting = FakeWorker.oneSilentCaller(http, server);

            int refused = 200;
            long started = System.nanoTime();
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < refused; i++) {
                calls.add(http.sendAsync(MultipartForm.create()
                        .file("myfile", "r" + i + ".png", "image/png", TestImages.png("refused " + i))
                        .post(HttpRequest.newBuilder(URI.create(server.getURL() + (i % 2 == 0 ? "/classify"
                                : "/api/v1/classifications")))).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> call : calls) {
                assertRefused(call.get(60, TimeUnit.SECONDS), "limit 1");
            }
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            List<String> lines = events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                    .map(ILoggingEvent::getFormattedMessage).toList();
            // One line at the burst's start, and a summary every 10 s while it lasts (none if it took under 10 s).
            assertTrue(lines.size() <= 2 + seconds / 10, refused + " refusals in " + seconds + " s: " + lines);
            assertTrue(lines.get(0).startsWith("refusing requests with 503: POST /"), lines.get(0));
            assertTrue(lines.stream().skip(1).allMatch(l -> l.matches("refused \\d+ request\\(s\\) .*")),
                    lines.toString());

            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://localhost:"
                    + properties.get(WebTestProperties.MANAGEMENT_PORT) + "/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(metrics.body().contains("web_admission_refused_total{reason=\"max_pending\"} " + refused
                    + ".0"), "counted by reason: " + metrics.body().lines()
                    .filter(l -> l.startsWith("web_admission")).toList());
            assertEquals(504, waiting.get(60, TimeUnit.SECONDS).statusCode());
        } finally {
            loggers.forEach(logger -> logger.detachAppender(events));
        }
    }

    /** A valid PNG followed by zeros up to {@code size} bytes (readers stop at the end chunk). */
    private static byte[] padded(byte[] png, int size) {
        return Arrays.copyOf(png, size);
    }
}
