package io.github.elasticimage.classifier.job;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker (real model) against real SQS and S3 servers refuses what a request may not ask (docs/security.md): another
 * bucket, a key that is not the upload key of a UUID, an answer to a queue that is not a response queue of this
 * deployment. Each such message ends in the dead-letter queue unprocessed, counted, and nothing is read, written or
 * answered. The queues are this class's own, so every check is exact.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestGuardTest implements TestPropertyProvider {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final String REQUESTS = "guard-test-requests";
    private static final String DLQ = "guard-test-dlq";
    private static final String OTHER_BUCKET = "guard-test-other-bucket";
    /** Undecodable bytes: a worker that read them would answer UNDECODABLE_IMAGE and delete the object. */
    private static final byte[] GARBAGE = "not an image".getBytes(StandardCharsets.UTF_8);

    private final String requestQueue = createQueue(REQUESTS);
    private final String deadLetterQueue = createQueue(DLQ);
    private final String replyQueue = createQueue(CLOUD.resources().responseQueuePrefix() + "-guard-test");
    private final String elsewhereQueue = createQueue("guard-test-elsewhere");

    @Inject
    MeterRegistry registry;

    private static String createQueue(String name) {
        return CLOUD.sqs().createQueue(b -> b.queueName(name)).queueUrl();
    }

    @Override
    public Map<String, String> getProperties() {
        if (CLOUD.s3().listBuckets().buckets().stream().noneMatch(b -> b.name().equals(OTHER_BUCKET))) {
            CLOUD.s3().createBucket(b -> b.bucket(OTHER_BUCKET));
        }
        Map<String, String> properties = new HashMap<>(CLOUD.serviceProperties());
        properties.put("app.resources.request-queue", REQUESTS);
        properties.put("app.resources.dead-letter-queue", DLQ);
        return properties;
    }

    @Test
    void anotherBucketIsNotRead() {
        String id = UUID.randomUUID().toString();
        String key = Messages.uploadKey(id);
        CLOUD.s3().putObject(b -> b.bucket(OTHER_BUCKET).key(key), RequestBody.fromBytes(GARBAGE));

        assertRejected(ClassificationRequest.of(id, OTHER_BUCKET, key, "x.jpg", replyQueue, now()),
                "is not the input bucket");
        assertArrayEquals(GARBAGE, CLOUD.s3().getObjectAsBytes(b -> b.bucket(OTHER_BUCKET).key(key)).asByteArray(),
                "the object in the other bucket is untouched");
    }

    @Test
    void aKeyThatIsNotTheUploadOfAUuidIsNotRead() {
        String id = "not-a-uuid";
        String key = Messages.uploadKey(id);
        String input = CLOUD.resources().inputBucket();
        CLOUD.s3().putObject(b -> b.bucket(input).key(key), RequestBody.fromBytes(GARBAGE));

        assertRejected(ClassificationRequest.of(id, input, key, "x.jpg", replyQueue, now()), "is not a UUID");
        assertArrayEquals(GARBAGE, CLOUD.s3().getObjectAsBytes(b -> b.bucket(input).key(key)).asByteArray());

        // A UUID id with the key of another request (its result would overwrite that one's) is refused too.
        String other = UUID.randomUUID().toString();
        assertRejected(ClassificationRequest.of(UUID.randomUUID().toString(), input, Messages.uploadKey(other),
                "x.jpg", replyQueue, now()), "is not the upload key");
    }

    @Test
    void noAnswerToAQueueWithAnotherPrefix() throws IOException {
        String id = upload("coffee.png");
        assertRejected(ClassificationRequest.of(id, CLOUD.resources().inputBucket(), Messages.uploadKey(id),
                "coffee.png", elsewhereQueue, now()), "is not a response queue");
        assertTrue(receive(elsewhereQueue, 1).isEmpty(), "nothing sent to the forged replyTo");
    }

    @Test
    void noAnswerToAQueueOnAnotherAccount() throws IOException {
        String id = upload("coffee.png");
        URI own = URI.create(replyQueue);
        String[] path = own.getPath().split("/"); // "", account, name
        assertEquals(3, path.length, "queue URLs look like <endpoint>/<account>/<name>: " + replyQueue);
        String otherAccount = own.resolve("/111122223333/" + path[2]).toString();
        assertRejected(ClassificationRequest.of(id, CLOUD.resources().inputBucket(), Messages.uploadKey(id),
                "coffee.png", otherAccount, now()), "is not a response queue");
    }

    @Test
    void aValidRequestIsStillAnswered() throws IOException {
        double rejectedBefore = rejected();
        String id = upload("coffee.png");
        send(ClassificationRequest.of(id, CLOUD.resources().inputBucket(), Messages.uploadKey(id), "coffee.png",
                replyQueue, now()));
        List<ClassificationResult> answers = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            receive(replyQueue, 1).stream().map(m -> Messages.parseResult(m.body()))
                    .filter(r -> r.id().equals(id)).forEach(answers::add);
            return !answers.isEmpty();
        });
        assertEquals("espresso", answers.get(0).label());
        CLOUD.s3().waiter().waitUntilObjectExists(b -> b.bucket(CLOUD.resources().outputBucket())
                .key(Messages.resultKey(id)));
        await().atMost(Duration.ofSeconds(5)).until(() -> depth(requestQueue) == 0);
        assertEquals(rejectedBefore, rejected(), "a valid request is not counted as rejected");
    }

    /**
     * The request ends in the dead-letter queue with the reason, is gone from the request queue, is counted once, and
     * has no result and no answer on this deployment's reply queue.
     */
    private void assertRejected(ClassificationRequest request, String reason) {
        double before = rejected();
        send(request);
        List<Message> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            for (Message m : CLOUD.sqs().receiveMessage(b -> b.queueUrl(deadLetterQueue).maxNumberOfMessages(10)
                    .waitTimeSeconds(1).messageAttributeNames("All")).messages()) {
                CLOUD.sqs().deleteMessage(b -> b.queueUrl(deadLetterQueue).receiptHandle(m.receiptHandle()));
                if (Messages.parseRequest(m.body()).equals(request)) {
                    found.add(m);
                }
            }
            return !found.isEmpty();
        });
        String recorded = found.get(0).messageAttributes().get(RequestGuard.REASON_ATTRIBUTE).stringValue();
        assertTrue(recorded.contains(reason), recorded);
        assertEquals(1, found.size(), "dead-lettered once");
        // Counted and deleted from the request queue just after the move to the dead-letter queue.
        await().atMost(Duration.ofSeconds(5)).until(() -> depth(requestQueue) == 0 && rejected() == before + 1);
        assertThrows(NoSuchKeyException.class, () -> CLOUD.s3().headObject(b -> b
                .bucket(CLOUD.resources().outputBucket()).key(Messages.resultKey(request.id()))), "no result stored");
        assertTrue(receive(replyQueue, 1).isEmpty(), "no answer on this deployment's reply queue");
    }

    private String upload(String sample) throws IOException {
        String id = UUID.randomUUID().toString();
        byte[] bytes = Files.readAllBytes(Path.of(System.getProperty("samples.dir"), sample));
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().inputBucket()).key(Messages.uploadKey(id)),
                RequestBody.fromBytes(bytes));
        return id;
    }

    private void send(ClassificationRequest request) {
        CLOUD.sqs().sendMessage(b -> b.queueUrl(requestQueue).messageBody(Messages.toJson(request)));
    }

    private static List<Message> receive(String queue, int waitSeconds) {
        List<Message> messages = CLOUD.sqs().receiveMessage(b -> b.queueUrl(queue).maxNumberOfMessages(10)
                .waitTimeSeconds(waitSeconds)).messages();
        messages.forEach(m -> CLOUD.sqs().deleteMessage(b -> b.queueUrl(queue).receiptHandle(m.receiptHandle())));
        return messages;
    }

    private static int depth(String url) {
        Map<QueueAttributeName, String> a = CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(url).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
        return Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }

    private double rejected() {
        return registry.counter("classifier.jobs", "outcome", JobMetrics.REJECTED).count();
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
