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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A web instance stopping (scale-in, deploy, Ctrl-C) while callers wait for their answer: each gets a clear answer
 * at once, not a hang until its timeout. Own request queue with no worker on it, so the callers surely still wait.
 */
class WebStopTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final String REQUEST_QUEUE = "web-stop-test-requests";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void callersWaitingWhenTheWebTierStopsGetAClearAnswerAtOnce() throws Exception {
        CLOUD.sqs().createQueue(b -> b.queueName(REQUEST_QUEUE));
        Map<String, Object> properties = new HashMap<>(WebTestProperties.of(CLOUD));
        properties.put("app.resources.request-queue", REQUEST_QUEUE);
        properties.put("app.web.result-timeout", "120s");
        EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties);
        CompletableFuture<HttpResponse<String>> call;
        try {
            PendingRequests pending = server.getApplicationContext().getBean(PendingRequests.class);
            HttpRequest request = new MultipartForm("----web-stop").file("myfile", "a.png", "image/png",
                            TestImages.png("waiting at stop"))
                    .postChunked(HttpRequest.newBuilder(URI.create(server.getURL() + "/classify"))
                            .timeout(Duration.ofSeconds(110))).build();
            call = http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(30)).until(() -> pending.size() == 1);
        } finally {
            long stopStarted = System.nanoTime();
            server.stop();
            System.out.printf("web-stop: stop took %d ms%n", (System.nanoTime() - stopStarted) / 1_000_000);
        }
        long started = System.nanoTime();
        HttpResponse<String> response = call.handle((r, e) -> {
            if (e != null) {
                throw new AssertionError("the waiting caller got no HTTP answer: " + e, e);
            }
            return r;
        }).get(30, TimeUnit.SECONDS);
        System.out.printf("web-stop: caller answered %d after stop: %s%n", response.statusCode(), response.body());
        assertEquals(503, response.statusCode(), response.body());
        assertEquals("1", response.headers().firstValue("Retry-After").orElse(null));
        assertTrue(response.body().contains("stopping") && response.body().contains("\"id\""), response.body());
        assertTrue((System.nanoTime() - started) < TimeUnit.SECONDS.toNanos(30));
    }
}
