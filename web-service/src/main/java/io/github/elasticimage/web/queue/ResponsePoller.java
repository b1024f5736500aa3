package io.github.elasticimage.web.queue;

import io.github.elasticimage.aws.LongPollLoop;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.web.config.WebProperties;
import io.micronaut.context.annotation.Context;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The one reader of this instance's response queue: long-polls it, hands each answer to its waiting caller and deletes
 * it. Answers nobody waits for (the caller timed out, or SQS delivered a duplicate) are deleted too.
 */
@Context
@Singleton
public class ResponsePoller {

    private static final Logger LOG = LoggerFactory.getLogger(ResponsePoller.class);

    private final SqsClient sqs;
    private final ResponseQueue queue;
    private final PendingRequests pending;
    private final int waitSeconds;
    private volatile boolean running = true;
    private Thread thread;

    public ResponsePoller(SqsClient sqs, ResponseQueue queue, PendingRequests pending, WebProperties properties) {
        this.sqs = sqs;
        this.queue = queue;
        this.pending = pending;
        this.waitSeconds = (int) Math.max(1, Math.min(20, properties.pollWait().toSeconds()));
    }

    @PostConstruct
    void start() {
        thread = new Thread(this::run, "response-poller");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        new LongPollLoop(queue.name(), () -> running, LOG, this::receiveAndHandle).run();
    }

    private void receiveAndHandle() {
        try {
            // A long poll lasts up to waitSeconds: longer than the client's usual call timeout (AwsClientTimeouts).
            List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queue.url())
                    .maxNumberOfMessages(10).waitTimeSeconds(waitSeconds)
                    .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofSeconds(waitSeconds + 5L))
                            .apiCallTimeout(Duration.ofSeconds(waitSeconds + 10L)))).messages();
            handle(messages);
        } catch (QueueDoesNotExistException e) {
            if (!running) {
                return;
            }
            try {
                queue.recreate();
            } catch (RuntimeException again) {
                throw new IllegalStateException("could not create response queue " + queue.name() + " again: "
                        + again, again);
            }
            // The queue service lost its state: requests and answers in flight are gone. Tell their callers
            // now (the API answers 503, retry) instead of letting them wait for a timeout.
            int failed = pending.failAll(id -> new QueueException.WorkLost(id, e));
            if (failed > 0) {
                LOG.warn("the queue service lost in-flight work: {} waiting caller(s) answered 503", failed);
            }
        }
    }

    private void handle(List<Message> messages) {
        if (messages.isEmpty()) {
            return;
        }
        List<DeleteMessageBatchRequestEntry> done = new ArrayList<>(messages.size());
        for (Message message : messages) {
            try {
                ClassificationResult result = Messages.parseResult(message.body());
                if (!pending.complete(result)) {
                    LOG.debug("answer {} has no waiting caller (timed out or duplicate); dropped", result.id());
                }
            } catch (Messages.MalformedMessageException e) {
                LOG.warn("dropping malformed answer {}: {}", message.messageId(), e.getMessage());
            }
            done.add(DeleteMessageBatchRequestEntry.builder()
                    .id(Integer.toString(done.size())).receiptHandle(message.receiptHandle()).build());
        }
        sqs.deleteMessageBatch(b -> b.queueUrl(queue.url()).entries(done));
    }

    @PreDestroy
    void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
