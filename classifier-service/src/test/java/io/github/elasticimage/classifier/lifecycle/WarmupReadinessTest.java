package io.github.elasticimage.classifier.lifecycle;

import io.github.elasticimage.classifier.model.DjlImageClassifier;
import io.github.elasticimage.classifier.model.ImageClassifier;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.runtime.server.EmbeddedServer;
import jakarta.inject.Singleton;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A worker is not ready before its JIT warm-up is done: {@code /health} answers 503 with {@code warmup.done=false}, and
 * a request waiting on the queue is not taken; once the warm-up ends, {@code /health} answers 200 and the request is
 * answered. The classifier is a stand-in that holds the warm-up until the test lets it go. Own request and reply
 * queues.
 */
class WarmupReadinessTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final String REQUEST_QUEUE = "warmup-readiness-test-requests";
    private static final String ENABLED = "warmup-readiness-test.held-classifier";
    private static final int WARMUP_IMAGES = 6;
    private static final Duration HELD = Duration.ofSeconds(3);
    static final CountDownLatch RELEASE = new CountDownLatch(1);
    static final AtomicInteger CALLS = new AtomicInteger();

    /** Blocks until released, then answers {@code warm}; counts its calls. */
    @Singleton
    @Replaces(DjlImageClassifier.class)
    @Requires(property = ENABLED, value = "true")
    static class HeldClassifier implements ImageClassifier {
        @Override
        public Classification classify(byte[] image, int k) {
            CALLS.incrementAndGet();
            try {
                if (!RELEASE.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            return new Classification(List.of(new Prediction("warm", 0.99)), 0, 0);
        }
    }

    @Test
    void notReadyAndTakesNoRequestUntilWarmedUp() throws Exception {
        String requestQueue = CLOUD.sqs().createQueue(b -> b.queueName(REQUEST_QUEUE)).queueUrl();
        String replyQueue = CLOUD.sqs().createQueue(b -> b.queueName(CLOUD.resources().responseQueuePrefix()
                + "-warmup-readiness-test")).queueUrl();
        Map<String, Object> properties = new HashMap<>(CLOUD.serviceProperties());
        properties.put("app.resources.request-queue", REQUEST_QUEUE);
        properties.put("app.worker.wait-seconds", "1");
        properties.put("app.worker.threads", "2");
        properties.put("app.model.warmup-runs", Integer.toString(WARMUP_IMAGES));
        properties.put("micronaut.server.port", "-1");
        properties.put(ENABLED, "true");
        HttpClient http = HttpClient.newHttpClient();
        String id = UUID.randomUUID().toString();
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            URI health = server.getURI().resolve("/health");
            String key = Messages.uploadKey(id);
            CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().inputBucket()).key(key),
                    RequestBody.fromBytes(new byte[] {1, 2, 3}));
            CLOUD.sqs().sendMessage(b -> b.queueUrl(requestQueue).messageBody(Messages.toJson(ClassificationRequest.of(
                    id, CLOUD.resources().inputBucket(), key, "held.png", replyQueue, System.currentTimeMillis(),
                    null))));
            try {
                // Both inference threads are in the warm-up (one image each so far), held there.
                await().atMost(Duration.ofSeconds(30)).until(() -> CALLS.get() == 2);
                await().during(HELD).atMost(HELD.plusSeconds(5)).until(() -> {
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(health).build(),
                            HttpResponse.BodyHandlers.ofString());
                    return answer.statusCode() == 503 && answer.body().contains("\"warmup\"")
                            && answer.body().contains("\"done\":false") && visible(requestQueue) == 1;
                });
            } finally {
                RELEASE.countDown();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> http.send(HttpRequest.newBuilder(health).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            await().atMost(Duration.ofSeconds(30)).until(() -> visible(requestQueue) == 0
                    && CLOUD.sqs().receiveMessage(b -> b.queueUrl(replyQueue).waitTimeSeconds(1)).messages().stream()
                    .anyMatch(m -> Messages.parseResult(m.body()).id().equals(id)));
            assertEquals(WARMUP_IMAGES + 1, CALLS.get(), "the warm-up images and then the request");
        }
    }

    private static int visible(String queueUrl) {
        return Integer.parseInt(CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(queueUrl)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }
}
