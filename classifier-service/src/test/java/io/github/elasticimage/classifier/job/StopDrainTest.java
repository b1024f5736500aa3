package io.github.elasticimage.classifier.job;

import io.github.elasticimage.classifier.model.DjlImageClassifier;
import io.github.elasticimage.classifier.model.ImageClassifier;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
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
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker that is stopped (scale-in, deploy, Ctrl-C) takes no new requests but finishes the jobs it holds: a job
 * still running when the context stops is answered, its result stored and its message deleted before the stop
 * returns. The classifier is a stand-in that blocks until the test lets it go (after the stop has waited for it for
 * 4 s), so the stop surely meets a running job.
 * Own request and reply queues: no other test's worker or requests are involved.
 */
class StopDrainTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final String REQUEST_QUEUE = "stop-drain-test-requests";
    private static final String ENABLED = "stop-drain-test.slow-classifier";
    private static final Duration HOLD = Duration.ofSeconds(4);
    static final CountDownLatch STARTED = new CountDownLatch(1);
    static final CountDownLatch RELEASE = new CountDownLatch(1);

    /** Answers {@code drained} once the test releases it. */
    @Singleton
    @Replaces(DjlImageClassifier.class)
    @Requires(property = ENABLED, value = "true")
    static class BlockingClassifier implements ImageClassifier {
        @Override
        public Classification classify(byte[] image, int k) {
            STARTED.countDown();
            try {
                if (!RELEASE.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the job ran", e);
            }
            return new Classification(List.of(new Prediction("drained", 0.99)), 0, 0);
        }
    }

    @Test
    void aStoppedWorkerFinishesItsJobInFlight() throws Exception {
        String requestQueue = CLOUD.sqs().createQueue(b -> b.queueName(REQUEST_QUEUE)).queueUrl();
        // Named like a web instance's response queue (the configured prefix), as a worker may insist on.
        String replyQueue = CLOUD.sqs().createQueue(b -> b.queueName(CLOUD.resources().responseQueuePrefix()
                + "-stop-drain-test")).queueUrl();
        Map<String, Object> properties = new HashMap<>(CLOUD.serviceProperties());
        properties.put("app.resources.request-queue", REQUEST_QUEUE);
        properties.put("app.worker.wait-seconds", "1");
        properties.put("micronaut.server.port", "-1");
        properties.put(ENABLED, "true");
        // The fake classifier blocks: no warm-up through it (the warm-up is not the subject here).
        properties.put("app.model.warmup-runs", "0");
        EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties);
        CompletableFuture<Void> stopped;
        String id = UUID.randomUUID().toString();
        try {
            RequestPoller poller = server.getApplicationContext().getBean(RequestPoller.class);
            String key = Messages.uploadKey(id);
            CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().inputBucket()).key(key),
                    RequestBody.fromBytes(new byte[] {1, 2, 3}));
            CLOUD.sqs().sendMessage(b -> b.queueUrl(requestQueue).messageBody(Messages.toJson(ClassificationRequest.of(
                    id, CLOUD.resources().inputBucket(), key, "slow.png", replyQueue, System.currentTimeMillis(),
                    null))));
            assertTrue(STARTED.await(60, TimeUnit.SECONDS), "the job never started");
            assertEquals(1, poller.inFlight());

            stopped = CompletableFuture.runAsync(server::stop);
            await().atMost(Duration.ofSeconds(30)).until(() -> !poller.isRunning());
            // Held well past the poller's own wind-down (its last long poll, 1 s here, and a 2 s join): the stop waits.
            await().during(HOLD).atMost(HOLD.plusSeconds(5)).until(() -> !stopped.isDone());
        } finally {
            RELEASE.countDown();
        }
        stopped.get(90, TimeUnit.SECONDS);
        assertFalse(server.getApplicationContext().isRunning());

        List<ClassificationResult> answers = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (Message m : CLOUD.sqs().receiveMessage(b -> b.queueUrl(replyQueue).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages()) {
                answers.add(Messages.parseResult(m.body()));
                CLOUD.sqs().deleteMessage(b -> b.queueUrl(replyQueue).receiptHandle(m.receiptHandle()));
            }
            return !answers.isEmpty();
        });
        assertEquals(1, answers.size(), answers::toString);
        assertEquals(id, answers.get(0).id());
        assertEquals("drained", answers.get(0).label());
        Map<QueueAttributeName, String> depth = CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(requestQueue)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
        assertEquals("0", depth.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES), "request left visible");
        assertEquals("0", depth.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE),
                "request not deleted");
        assertTrue(CLOUD.s3().listObjectsV2(b -> b.bucket(CLOUD.resources().outputBucket())
                .prefix(Messages.resultKey(id))).keyCount() == 1, "result not stored");
    }
}
