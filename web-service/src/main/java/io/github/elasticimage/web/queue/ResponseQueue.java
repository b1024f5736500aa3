package io.github.elasticimage.web.queue;

import io.github.elasticimage.aws.ResourceNames;
import io.github.elasticimage.web.config.WebProperties;
import io.micronaut.context.annotation.Context;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.util.Map;
import java.util.UUID;

/**
 * This web instance's own response queue. Every request names it as {@code replyTo}, so workers answer each instance
 * on its own queue and no instance ever receives another's answers. Unless a fixed queue is configured
 * ({@code RESPONSE_QUEUE}), the queue {@code <prefix>-<instance id>} is created at start and deleted at shutdown.
 */
@Context
@Singleton
public class ResponseQueue {

    private static final Logger LOG = LoggerFactory.getLogger(ResponseQueue.class);
    /** Answers are useless once their caller has given up; SQS's minimum retention keeps the queue small. */
    private static final String RETENTION_SECONDS = "60";

    private final SqsClient sqs;
    private final String name;
    private volatile String url;
    private final boolean owned;

    public ResponseQueue(SqsClient sqs, ResourceNames names, WebProperties properties) {
        this.sqs = sqs;
        if (properties.responseQueue() != null && !properties.responseQueue().isBlank()) {
            this.name = properties.responseQueue();
            this.url = sqs.getQueueUrl(b -> b.queueName(name)).queueUrl();
            this.owned = false;
        } else {
            String instance = properties.instanceId() != null && !properties.instanceId().isBlank()
                    ? properties.instanceId()
                    : UUID.randomUUID().toString().substring(0, 12);
            this.name = names.responseQueuePrefix() + "-" + instance;
            this.url = create();
            this.owned = true;
        }
        LOG.info("response queue {} ({})", name, owned ? "created for this instance" : "configured");
    }

    private String create() {
        return sqs.createQueue(b -> b.queueName(name).attributes(Map.of(
                QueueAttributeName.MESSAGE_RETENTION_PERIOD, RETENTION_SECONDS))).queueUrl();
    }

    /**
     * Called when SQS says the queue does not exist (e.g. the queue service lost it, or someone deleted it): this
     * instance's own queue is created again under the same name; a configured queue is looked up again.
     */
    public synchronized void recreate() {
        url = owned ? create() : sqs.getQueueUrl(b -> b.queueName(name)).queueUrl();
        LOG.warn("response queue {} did not exist: {}", name, owned ? "created it again" : "looked it up again");
    }

    public String name() {
        return name;
    }

    public String url() {
        return url;
    }

    @PreDestroy
    void deleteIfOwned() {
        if (owned) {
            try {
                sqs.deleteQueue(b -> b.queueUrl(url));
                LOG.info("deleted response queue {}", name);
            } catch (RuntimeException e) {
                LOG.warn("could not delete response queue {}: {}", name, e.toString());
            }
        }
    }
}
