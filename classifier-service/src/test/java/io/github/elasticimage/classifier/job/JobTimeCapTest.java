package io.github.elasticimage.classifier.job;

import io.github.elasticimage.classifier.model.DjlImageClassifier;
import io.github.elasticimage.classifier.model.ImageClassifier;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code MAX_JOB_TIME} caps the visibility extension: a job that never ends (a classifier that ignores interrupts) is
 * abandoned after the cap, its slot is freed, and its message is redelivered and then dead-lettered, with no answer and
 * no result. Its own queues: the request queue has a 2 s visibility timeout and dead-letters after 2 receives.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobTimeCapTest implements TestPropertyProvider {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final String REQUESTS = "cap-test-requests";
    private static final String DLQ = "cap-test-dlq";

    private final String deadLetterQueue = CLOUD.sqs().createQueue(b -> b.queueName(DLQ)).queueUrl();
    private final String requestQueue = createRequestQueue();
    private final String replyQueue = CLOUD.sqs().createQueue(b -> b.queueName(
            CLOUD.resources().responseQueuePrefix() + "-cap-test")).queueUrl();

    @Inject
    StuckClassifier classifier;
    @Inject
    RequestPoller poller;

    private String createRequestQueue() {
        String arn = CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(deadLetterQueue)
                .attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
        return CLOUD.sqs().createQueue(b -> b.queueName(REQUESTS).attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, "2",
                QueueAttributeName.REDRIVE_POLICY, "{\"deadLetterTargetArn\":\"" + arn + "\",\"maxReceiveCount\":\"2\"}")))
                .queueUrl();
    }

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> properties = new HashMap<>(CLOUD.serviceProperties());
        properties.put("app.resources.request-queue", REQUESTS);
        properties.put("app.resources.dead-letter-queue", DLQ);
        properties.put("app.worker.max-job-time", "1s");
        properties.put("app.worker.threads", "2");
        properties.put("app.worker.max-in-flight", "2");
        properties.put("app.worker.wait-seconds", "1");
        properties.put("test.stuck-classifier", "true");
        // The fake classifier blocks: no warm-up through it (the warm-up is not the subject here).
        properties.put("app.model.warmup-runs", "0");
        return properties;
    }

    @Test
    void aJobPastTheCapIsAbandonedAndItsMessageDeadLettered() {
        String id = UUID.randomUUID().toString();
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().inputBucket()).key(Messages.uploadKey(id)),
                RequestBody.fromString("bytes the stuck classifier never looks at", StandardCharsets.UTF_8));
        ClassificationRequest request = ClassificationRequest.of(id, CLOUD.resources().inputBucket(),
                Messages.uploadKey(id), "x.jpg", replyQueue, System.currentTimeMillis());
        try {
            CLOUD.sqs().sendMessage(b -> b.queueUrl(requestQueue).messageBody(Messages.toJson(request)));
            await().atMost(Duration.ofSeconds(10)).until(() -> classifier.calls.get() >= 1);
            // The classifier is still stuck, but the job's slot is free once the cap (1 s) has passed.
            await().atMost(Duration.ofSeconds(5)).until(() -> poller.inFlight() == 0);
            assertTrue(classifier.stuck.get() >= 1, "the classifier has not returned");

            // No longer kept invisible: redelivered (2 s timeout), abandoned again, then dead-lettered (2 receives).
            List<Message> dead = await().atMost(Duration.ofSeconds(30)).until(() -> CLOUD.sqs().receiveMessage(b -> b
                    .queueUrl(deadLetterQueue).waitTimeSeconds(1)).messages(), m -> !m.isEmpty());
            assertEquals(request, Messages.parseRequest(dead.get(0).body()));
            assertEquals(2, classifier.calls.get(), "delivered twice, abandoned twice");
            assertTrue(CLOUD.sqs().receiveMessage(b -> b.queueUrl(replyQueue).waitTimeSeconds(1)).messages()
                    .isEmpty(), "no answer from an abandoned job");
            assertThrows(NoSuchKeyException.class, () -> CLOUD.s3().headObject(b -> b
                    .bucket(CLOUD.resources().outputBucket()).key(Messages.resultKey(id))), "no result stored");
        } finally {
            classifier.release.countDown();
        }
    }

    /** A classifier that blocks, ignoring interrupts, until the test releases it (like native code that hangs). */
    @Singleton
    @Replaces(DjlImageClassifier.class)
    @Requires(property = "test.stuck-classifier", value = "true")
    static class StuckClassifier implements ImageClassifier {

        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger stuck = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public Classification classify(byte[] image, int k) {
            calls.incrementAndGet();
            stuck.incrementAndGet();
            boolean interrupted = false;
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            stuck.decrementAndGet();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("released by the test");
        }
    }
}
