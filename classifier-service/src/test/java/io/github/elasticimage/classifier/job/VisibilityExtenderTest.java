package io.github.elasticimage.classifier.job;

import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A long job keeps its message invisible; once it ends, the message follows the queue's own timeout again. */
class VisibilityExtenderTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();

    @Test
    void aLongJobIsNotDeliveredToASecondWorker() {
        String url = CLOUD.sqs().createQueue(b -> b.queueName("visibility-extender-test")
                .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "3"))).queueUrl();
        CLOUD.sqs().sendMessage(b -> b.queueUrl(url).messageBody("slow job"));
        Message message = receive(url).get(0);
        VisibilityExtender extender = new VisibilityExtender(CLOUD.sqs(), Duration.ofMinutes(3));
        try {
            extender.track(url, message);
            assertEquals(3, extender.timeoutOf(url));
            // 7 s, more than twice the timeout: without extension it would have been redelivered
            await().during(Duration.ofSeconds(7)).atMost(Duration.ofSeconds(9)).until(() -> receive(url).isEmpty());
            extender.untrack(message);
            assertEquals(0, extender.tracked());
            await().atMost(Duration.ofSeconds(8)).until(() -> !receive(url).isEmpty());
        } finally {
            extender.stop();
        }
    }

    private static List<Message> receive(String url) {
        return CLOUD.sqs().receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(0)).messages();
    }
}
