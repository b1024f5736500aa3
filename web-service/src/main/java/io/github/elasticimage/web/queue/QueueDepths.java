package io.github.elasticimage.web.queue;

import io.github.elasticimage.aws.QueueUrls;
import io.github.elasticimage.aws.ResourceNames;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Approximate message counts of the request queue and its dead-letter queue ({@code GetQueueAttributes}), for
 * {@code GET /api/v1/status} and the queue gauges. Each answer is reused for {@link #MAX_AGE_MS} so that status polls
 * and Prometheus scrapes together cost at most one SQS call per queue and second.
 */
@Singleton
public class QueueDepths {

    static final long MAX_AGE_MS = 1_000;

    /** Messages waiting ({@code visible}), received but not yet deleted ({@code inFlight}), and delayed. */
    @Serdeable
    public record Depth(String queue, long visible, long inFlight, long delayed) {
    }

    private record Reading(Depth depth, long atMillis) {
    }

    private final SqsClient sqs;
    private final QueueUrls queueUrls;
    private final ResourceNames names;
    private final Map<String, Reading> cache = new ConcurrentHashMap<>();

    public QueueDepths(SqsClient sqs, QueueUrls queueUrls, ResourceNames names) {
        this.sqs = sqs;
        this.queueUrls = queueUrls;
        this.names = names;
    }

    /** The request queue's counts; throws when SQS does not answer. */
    public Depth requestQueue() {
        return depthOf(names.requestQueue());
    }

    /** The dead-letter queue's counts; throws when SQS does not answer. */
    public Depth deadLetterQueue() {
        return depthOf(names.deadLetterQueue());
    }

    private Depth depthOf(String queue) {
        long now = System.currentTimeMillis();
        Reading reading = cache.get(queue);
        if (reading != null && now - reading.atMillis() < MAX_AGE_MS) {
            return reading.depth();
        }
        Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(b -> b.queueUrl(queueUrls.urlOf(queue))
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributes();
        Depth depth = new Depth(queue,
                count(attributes, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES),
                count(attributes, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE),
                count(attributes, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED));
        cache.put(queue, new Reading(depth, now));
        return depth;
    }

    private static long count(Map<QueueAttributeName, String> attributes, QueueAttributeName name) {
        String value = attributes.get(name);
        return value == null ? 0 : Long.parseLong(value);
    }
}
