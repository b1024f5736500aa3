package io.github.elasticimage.e2e;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.LocalSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole local system, real worker and real web tier as their own JVMs: a request the worker's RequestGuard refuses
 * (it names another bucket) goes to the dead-letter queue with its reason, and the web tier's dead-letter watcher
 * answers its reply queue with the refusal and stores it, so the asynchronous API reads {@code failed} with the reason.
 */
class DeadLetterEndToEndTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static LocalSystem stack;

    @BeforeAll
    static void startStack() {
        stack = SharedLocalSystem.get();
    }

    @Test
    void aRequestTheWorkerRefusesIsReportedToItsCallerByTheWebTier() throws Exception {
        LocalAwsServers cloud = stack.cloud();
        // A response queue of this deployment that the test reads itself, as a web instance's would be.
        String replyTo = cloud.sqs().createQueue(b -> b.queueName(cloud.resources().responseQueuePrefix()
                + "-e2e-dead-letter")).queueUrl();
        String id = UUID.randomUUID().toString();
        String requestQueue = cloud.queueUrl(cloud.resources().requestQueue());
        long sent = System.nanoTime();
        cloud.sqs().sendMessage(b -> b.queueUrl(requestQueue).messageBody(Messages.toJson(ClassificationRequest.of(
                id, "another-bucket", Messages.uploadKey(id), "x.png", replyTo, System.currentTimeMillis()))));

        List<ClassificationResult> answers = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (answers.isEmpty() && System.nanoTime() < deadline) {
            for (Message m : cloud.sqs().receiveMessage(b -> b.queueUrl(replyTo).waitTimeSeconds(1)).messages()) {
                answers.add(Messages.parseResult(m.body()));
                cloud.sqs().deleteMessage(b -> b.queueUrl(replyTo).receiptHandle(m.receiptHandle()));
            }
        }
        long ms = (System.nanoTime() - sent) / 1_000_000;
        System.out.printf("e2e-dead-letter: refused request answered by the web tier %d ms after it was sent%n", ms);
        assertEquals(1, answers.size(), "one answer on the reply queue");
        ClassificationResult answer = answers.get(0);
        assertEquals(id, answer.id());
        assertEquals(ClassificationResult.ErrorCode.DEAD_LETTERED, answer.errorCode());
        assertEquals("refused by the classifier tier: bucket \"another-bucket\" is not the input bucket",
                answer.error());

        HttpResponse<String> status = HTTP.send(HttpRequest.newBuilder(URI.create(stack.webUrl()
                + "/api/v1/classifications/" + id)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, status.statusCode(), status.body());
        assertTrue(status.body().contains("\"status\":\"failed\"") && status.body().contains("another-bucket"),
                status.body());
        cloud.sqs().deleteQueue(b -> b.queueUrl(replyTo));
    }
}
