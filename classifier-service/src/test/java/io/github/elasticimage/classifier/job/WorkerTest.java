package io.github.elasticimage.classifier.job;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A worker (real model) against real SQS and S3 servers: the contract, the result document and delete-after-answer. */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerTest implements TestPropertyProvider {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private final String replyQueue = CLOUD.sqs().createQueue(b -> b.queueName(
            CLOUD.resources().responseQueuePrefix() + "-worker-test")).queueUrl();

    @Override
    public Map<String, String> getProperties() {
        return CLOUD.serviceProperties();
    }

    private String submit(Path image) throws IOException {
        return submit(image, null);
    }

    private String submit(Path image, String owner) throws IOException {
        return submit(image, owner, replyQueue);
    }

    private String submit(Path image, String owner, String replyTo) throws IOException {
        String id = UUID.randomUUID().toString();
        String key = Messages.uploadKey(id);
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().inputBucket()).key(key),
                RequestBody.fromBytes(Files.readAllBytes(image)));
        send(Messages.toJson(ClassificationRequest.of(id, CLOUD.resources().inputBucket(), key,
                image.getFileName().toString(), replyTo, System.currentTimeMillis(), owner)));
        return id;
    }

    private void send(String body) {
        String url = CLOUD.queueUrl(CLOUD.resources().requestQueue());
        CLOUD.sqs().sendMessage(b -> b.queueUrl(url).messageBody(body));
    }

    private ClassificationResult answerFor(String id) {
        List<ClassificationResult> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (Message m : CLOUD.sqs().receiveMessage(b -> b.queueUrl(replyQueue).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages()) {
                ClassificationResult result = Messages.parseResult(m.body());
                CLOUD.sqs().deleteMessage(b -> b.queueUrl(replyQueue).receiptHandle(m.receiptHandle()));
                if (result.id().equals(id)) {
                    found.add(result);
                }
            }
            return !found.isEmpty();
        });
        return found.get(0);
    }

    private int requestQueueDepth() {
        String url = CLOUD.queueUrl(CLOUD.resources().requestQueue());
        Map<QueueAttributeName, String> a = CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(url).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
        return Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }

    @Test
    void answersStoresTheResultAndDeletesTheRequest() throws IOException {
        String id = submit(Path.of(System.getProperty("samples.dir"), "coffee.png"));
        ClassificationResult answer = answerFor(id);
        assertTrue(answer.isDone(), answer.toString());
        assertEquals("espresso", answer.label());
        assertEquals(5, answer.top5().size());
        // The worker stores the result while it sends the answer: the answer can arrive first.
        CLOUD.s3().waiter().waitUntilObjectExists(b -> b.bucket(CLOUD.resources().outputBucket())
                .key(Messages.resultKey(id)));
        String stored = CLOUD.s3().getObjectAsBytes(b -> b.bucket(CLOUD.resources().outputBucket())
                .key(Messages.resultKey(id))).asString(StandardCharsets.UTF_8);
        assertEquals(answer, Messages.parseResult(stored));
        await().atMost(Duration.ofSeconds(5)).until(() -> requestQueueDepth() == 0);
    }

    @Test
    void theSubmittersTagGoesWithTheStoredResultAndNoTagWithoutOne() throws IOException {
        Path coffee = Path.of(System.getProperty("samples.dir"), "coffee.png");
        String owned = submit(coffee, "tag-of-key-a");
        String open = submit(coffee);
        for (String id : List.of(owned, open)) {
            CLOUD.s3().waiter().waitUntilObjectExists(b -> b.bucket(CLOUD.resources().outputBucket())
                    .key(Messages.resultKey(id)));
        }
        Map<String, String> metadata = CLOUD.s3().headObject(b -> b.bucket(CLOUD.resources().outputBucket())
                .key(Messages.resultKey(owned))).metadata();
        assertEquals("tag-of-key-a", metadata.get(Messages.OWNER_METADATA), metadata::toString);
        assertNull(CLOUD.s3().headObject(b -> b.bucket(CLOUD.resources().outputBucket())
                .key(Messages.resultKey(open))).metadata().get(Messages.OWNER_METADATA));
    }

    /**
     * A request redriven from the dead-letter queue after its web instance stopped: its reply queue is gone. The
     * worker stores the result (replacing the dead-letter watcher's failure) and deletes the request instead of
     * failing the job until it is dead-lettered again.
     */
    @Test
    void aRequestWhoseReplyQueueIsGoneIsStoredAndDeleted() throws IOException {
        String gone = replyQueue.substring(0, replyQueue.lastIndexOf('/') + 1)
                + CLOUD.resources().responseQueuePrefix() + "-worker-test-gone";
        String id = UUID.randomUUID().toString();
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().outputBucket()).key(Messages.resultKey(id)),
                RequestBody.fromString(Messages.toJson(ClassificationResult.failed(id,
                        ClassificationResult.ErrorCode.DEAD_LETTERED, "dead-lettered", "dead-letter-watcher", null))));
        // The request re-sent as a redrive does: same id, same body, its reply queue long gone.
        String key = Messages.uploadKey(id);
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().inputBucket()).key(key), RequestBody.fromBytes(
                Files.readAllBytes(Path.of(System.getProperty("samples.dir"), "coffee.png"))));
        send(Messages.toJson(ClassificationRequest.of(id, CLOUD.resources().inputBucket(), key, "coffee.png", gone,
                System.currentTimeMillis())));
        await().atMost(Duration.ofSeconds(15)).until(() -> "espresso".equals(Messages.parseResult(CLOUD.s3()
                .getObjectAsBytes(b -> b.bucket(CLOUD.resources().outputBucket()).key(Messages.resultKey(id)))
                .asString(StandardCharsets.UTF_8)).label()));
        // Deleted at once, not left to come back after the visibility timeout (30 s) and be dead-lettered again.
        await().atMost(Duration.ofSeconds(5)).until(() -> requestQueueDepth() == 0);
    }

    @Test
    void anUndecodableImageIsAnsweredAsAFailureNotRetried() throws IOException {
        String id = submit(Path.of(System.getProperty("samples.dir"), "truncated.jpg"));
        ClassificationResult answer = answerFor(id);
        assertEquals(ClassificationResult.Status.FAILED, answer.status());
        assertEquals(ClassificationResult.ErrorCode.UNDECODABLE_IMAGE, answer.errorCode());
        assertNull(answer.label());
        await().atMost(Duration.ofSeconds(5)).until(() -> requestQueueDepth() == 0);
        assertTrue(CLOUD.s3().listObjectsV2(b -> b.bucket(CLOUD.resources().inputBucket()).prefix(Messages.uploadKey(id)))
                .contents().isEmpty(), "the undecodable upload is deleted");
    }

    @Test
    void aMessageBreakingTheContractEndsInTheDeadLetterQueue() {
        send("{\"this is\": \"not a request\"}");
        String dlq = CLOUD.queueUrl(CLOUD.resources().deadLetterQueue());
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            String visible = CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(dlq)
                    .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                    .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES);
            return Integer.parseInt(visible) >= 1;
        });
        // and it does not block the queue: real work still gets answered
        String id = assertDoesNotBlock();
        assertTrue(id.length() > 0);
    }

    private String assertDoesNotBlock() {
        try {
            String id = submit(Path.of(System.getProperty("samples.dir"), "chelsea.png"));
            assertEquals("Egyptian Mau", answerFor(id).label());
            return id;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
