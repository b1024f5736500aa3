package io.github.elasticimage.web;

import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.github.elasticimage.web.queue.PendingRequests;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each web instance bounds the callers it keeps waiting (MAX_PENDING): beyond it, 503 with Retry-After at once, and
 * capacity comes back as callers are answered or time out. The default bound, 1000 waiting callers, fits in memory.
 */
class BackpressureTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /**
     * Each test has its own request queue: callers still being queued when a test's web context closes can leave
     * messages whose upload was deleted (the send failed on the client's side), which would reach the next test's
     * worker on a shared queue.
     */
    private static String ownQueue(String name) {
        CLOUD.sqs().createQueue(b -> b.queueName(name));
        return name;
    }

    private static Map<String, Object> properties(int maxPending, String timeout, String requestQueue) {
        Map<String, Object> properties = new HashMap<>(WebTestProperties.of(CLOUD));
        properties.put("app.resources.request-queue", requestQueue);
        properties.put("micronaut.server.port", -1);
        properties.put("app.web.max-pending", maxPending);
        properties.put("app.web.result-timeout", timeout);
        // callers send chunked (no Content-Length), each counted at MAX_UPLOAD_SIZE until stored: this test bounds
        // waiting callers (MAX_PENDING), so the byte bound must not refuse them first (AdmissionTest covers it)
        properties.put("app.web.max-upload-memory", "20GB");
        return properties;
    }

    private CompletableFuture<HttpResponse<String>> post(EmbeddedServer server, String fileName, byte[] png) {
        MultipartForm form = new MultipartForm("----backpressure").file("myfile", fileName, "image/png", png);
        HttpRequest request = form.postChunked(HttpRequest.newBuilder(URI.create(server.getURL() + "/classify"))
                .timeout(Duration.ofSeconds(120))).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void beyondTheBoundCallersGet503WithRetryAfterAndCapacityComesBack() throws Exception {
        String queue = ownQueue("backpressure-bound-requests");
        try (FakeWorker worker = new FakeWorker(CLOUD, queue);
             EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties(3, "4s", queue))) {
            PendingRequests pending = server.getApplicationContext().getBean(PendingRequests.class);
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiting.add(post(server, "SILENT-" + i + ".png", TestImages.png("silent " + i)));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> pending.size() == 3);

            HttpResponse<String> refused = post(server, "one-too-many.png", TestImages.png("extra")).get(30,
                    TimeUnit.SECONDS);
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertTrue(refused.body().contains("limit 3"), refused.body());

            for (var call : waiting) {
                assertEquals(504, call.get(60, TimeUnit.SECONDS).statusCode());
            }
            assertEquals(0, pending.size());
            byte[] image = TestImages.png("after the timeouts");
            HttpResponse<String> after = post(server, "ok.png", image).get(60, TimeUnit.SECONDS);
            assertEquals(200, after.statusCode(), after.body());
            assertEquals(FakeWorker.labelFor(image), after.body());
        }
    }

    @Test
    void aThousandWaitingCallersAreHeldInBoundedMemory() throws Exception {
        int callers = 1000;
        String queue = ownQueue("backpressure-thousand-requests");
        try (FakeWorker worker = new FakeWorker(CLOUD, queue);
             EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties(callers, "60s", queue))) {
            PendingRequests pending = server.getApplicationContext().getBean(PendingRequests.class);
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                calls.add(post(server, "SILENT-" + i + ".png", TestImages.png(i)));
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> pending.size() == callers);
            System.gc();
            long heapMb = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
            System.out.printf("backpressure: %d callers waiting, heap used %d MB (test JVM, all servers included)%n",
                    pending.size(), heapMb);
            assertTrue(heapMb < 512, "heap " + heapMb + " MB with " + callers + " waiting callers");
            // one more is refused, not queued
            assertEquals(503, post(server, "extra.png", TestImages.png("extra")).get(30, TimeUnit.SECONDS)
                    .statusCode());
            calls.forEach(call -> call.cancel(true));
        }
    }
}
