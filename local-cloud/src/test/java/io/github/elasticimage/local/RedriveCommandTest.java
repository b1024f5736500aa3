package io.github.elasticimage.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code make redrive} against a real ElasticMQ: requests in the dead-letter queue, one of them held (received and
 * not visible, as the web tier's dead-letter watcher leaves a reported one), all go back to the request queue; the
 * held one is moved at once but stays hidden there (ElasticMQ 1.7.1 counts it as delayed) until its hold ends, then it
 * can be received too.
 */
class RedriveCommandTest {

    private static final int HOLD_SECONDS = 4;

    private static long depth(SqsClient sqs, String url) {
        return sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributes().values().stream()
                .mapToLong(Long::parseLong).sum();
    }

    @TempDir
    Path dir;

    @Test
    void everyDeadLetterGoesBackToTheRequestQueue() {
        LocalResources names = LocalResources.defaults();
        try (LocalAwsServers cloud = LocalAwsServers.start("127.0.0.1", 0, 0, dir.resolve("s3"), names)) {
            SqsClient sqs = cloud.sqs();
            String dlq = cloud.queueUrl(names.deadLetterQueue());
            for (int i = 0; i < 3; i++) {
                int n = i;
                sqs.sendMessage(b -> b.queueUrl(dlq).messageBody("request-" + n));
            }
            // One held, as the watcher holds a message it reported (DEAD_LETTER_HOLD; 4 s here).
            Message held = sqs.receiveMessage(b -> b.queueUrl(dlq).maxNumberOfMessages(1)).messages().get(0);
            sqs.changeMessageVisibility(b -> b.queueUrl(dlq).receiptHandle(held.receiptHandle())
                    .visibilityTimeout(HOLD_SECONDS));
            long heldAt = System.nanoTime();

            int exit = new CommandLine(new RedriveCommand()).execute("--sqs-endpoint", cloud.sqsEndpoint().toString());

            assertEquals(0, exit);
            String requests = cloud.queueUrl(names.requestQueue());
            assertEquals(0, depth(sqs, dlq), "the dead-letter queue is empty");
            assertEquals(3, depth(sqs, requests), "all three are in the request queue, the held one too");
            Set<String> moved = new HashSet<>();
            long deadline = System.nanoTime() + (HOLD_SECONDS + 10) * 1_000_000_000L;
            while (moved.size() < 3 && System.nanoTime() < deadline) {
                sqs.receiveMessage(b -> b.queueUrl(requests).maxNumberOfMessages(10).waitTimeSeconds(1)
                        .visibilityTimeout(60)).messages().forEach(m -> moved.add(m.body()));
            }
            long heldMs = (System.nanoTime() - heldAt) / 1_000_000;
            System.out.printf("redrive-test: 3 dead letters moved, the held one received %d ms after its %d s hold "
                    + "began%n", heldMs, HOLD_SECONDS);
            assertEquals(Set.of("request-0", "request-1", "request-2"), moved, "all three can be received");
            assertTrue(heldMs >= (HOLD_SECONDS - 1) * 1000L, "the held one stayed hidden until its hold ended");
        }
    }
}
