package io.github.elasticimage.web.queue;

import io.github.elasticimage.aws.LongPollLoop;
import io.github.elasticimage.aws.QueueUrls;
import io.github.elasticimage.aws.ResourceNames;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.contract.ReplyQueues;
import io.github.elasticimage.web.config.DeadLetterProperties;
import io.github.elasticimage.web.storage.ImageStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reports requests that ended in the dead-letter queue, so that nothing stays pending until a timeout
 * (docs/reliability.md, decision 0011). A request lands there when a worker refused it ({@link
 * Messages#REJECTED_REASON_ATTRIBUTE}) or when SQS gave up on it after maxReceiveCount receives (it crashed workers,
 * or its job ran past MAX_JOB_TIME). For each such message this watcher
 * <ol>
 *   <li>stores a {@link ErrorCode#DEAD_LETTERED} failure as the request's result, only if no result exists (S3
 *       conditional write: a worker's result, or another watcher's report, wins), so the asynchronous API shows
 *       {@code failed} with the reason;</li>
 *   <li>if it stored it, sends the same failure to the request's {@code replyTo}, when that is a response queue of this
 *       deployment ({@link ReplyQueues}, the worker's check), so a waiting synchronous caller gets its 502 at once;</li>
 *   <li>leaves the message in the dead-letter queue for a redrive, hidden for {@code DEAD_LETTER_HOLD} so it is not
 *       read again constantly.</li>
 * </ol>
 * Any web instance may run it, several at once: a message is reported once, by whichever stores the result first.
 */
@Context
@Singleton
@Requires(property = "app.dead-letter.watch", notEquals = "false")
public class DeadLetterWatcher {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterWatcher.class);
    /** What the {@code worker} field of a reported failure says: not a worker, this watcher. */
    static final String REPORTER = "dead-letter-watcher";

    private final SqsClient sqs;
    private final QueueUrls queueUrls;
    private final ResourceNames names;
    private final ImageStore store;
    private final int holdSeconds;
    private final int waitSeconds;
    private final Counter reported;
    private final Counter alreadyKnown;
    private final Counter unreadable;
    private volatile boolean running = true;
    private Thread thread;

    public DeadLetterWatcher(SqsClient sqs, QueueUrls queueUrls, ResourceNames names, ImageStore store,
                             DeadLetterProperties properties, MeterRegistry registry) {
        this.sqs = sqs;
        this.queueUrls = queueUrls;
        this.names = names;
        this.store = store;
        this.holdSeconds = (int) properties.hold().toSeconds();
        this.waitSeconds = (int) Math.max(1, Math.min(20, properties.pollWait().toSeconds()));
        this.reported = counter(registry, "reported");
        this.alreadyKnown = counter(registry, "already_reported");
        this.unreadable = counter(registry, "unreadable");
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("web.dead.letters")
                .description("Dead-lettered requests this instance's watcher read: reported (result stored, caller "
                        + "answered), already_reported (a result existed), unreadable (no request id to report)")
                .tag("outcome", outcome).register(registry);
    }

    @PostConstruct
    void start() {
        thread = new Thread(this::run, "dead-letter-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        new LongPollLoop(names.deadLetterQueue(), () -> running, LOG, this::receiveAndReport).run();
    }

    private void receiveAndReport() {
        String url = queueUrls.urlOf(names.deadLetterQueue());
        List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10)
                .waitTimeSeconds(waitSeconds).messageAttributeNames(Messages.REJECTED_REASON_ATTRIBUTE)
                .visibilityTimeout(Math.max(30, waitSeconds))
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofSeconds(waitSeconds + 5L))
                        .apiCallTimeout(Duration.ofSeconds(waitSeconds + 10L)))).messages();
        List<ChangeMessageVisibilityBatchRequestEntry> hold = new ArrayList<>(messages.size());
        for (Message message : messages) {
            try {
                report(url, message);
            } catch (RuntimeException e) {
                // Not held: it is read again when the receive's visibility timeout ends and reported then.
                LOG.warn("could not report dead letter {}, retrying later: {}", message.messageId(), e.toString());
                continue;
            }
            hold.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(Integer.toString(hold.size()))
                    .receiptHandle(message.receiptHandle()).visibilityTimeout(holdSeconds).build());
        }
        if (hold.isEmpty()) {
            return;
        }
        // Left in the queue for a redrive; hidden so that this and the other watchers do not read it every poll.
        sqs.changeMessageVisibilityBatch(b -> b.queueUrl(url).entries(hold));
    }

    /** Stores the failure and answers the caller, unless the request already has a result. */
    void report(String deadLetterQueueUrl, Message message) {
        ClassificationRequest request;
        try {
            request = Messages.parseRequest(message.body());
        } catch (Messages.MalformedMessageException e) {
            unreadable.increment();
            LOG.warn("dead letter {} breaks the contract, nothing to report: {}", message.messageId(), e.getMessage());
            return;
        }
        if (!ReplyQueues.isRequestId(request.id())) {
            unreadable.increment();
            LOG.warn("dead letter {} has no request id of this service, nothing to report", message.messageId());
            return;
        }
        ClassificationResult failure = ClassificationResult.failed(request.id(), ErrorCode.DEAD_LETTERED,
                reason(message.messageAttributes().get(Messages.REJECTED_REASON_ATTRIBUTE)), REPORTER, null);
        if (!store.storeResultIfAbsent(failure, request.owner())) {
            alreadyKnown.increment();
            LOG.debug("dead letter id={} already has a result; not reported again", request.id());
            return;
        }
        reported.increment();
        LOG.warn("request id={} ended in the dead-letter queue, reported as failed: {}", request.id(), failure.error());
        if (!ReplyQueues.isResponseQueue(request.replyTo(), deadLetterQueueUrl, names.responseQueuePrefix())) {
            LOG.warn("dead letter id={} names a reply queue outside this deployment; result stored, no answer sent",
                    request.id());
            return;
        }
        try {
            sqs.sendMessage(b -> b.queueUrl(request.replyTo()).messageBody(Messages.toJson(failure)));
        } catch (QueueDoesNotExistException e) {
            LOG.debug("dead letter id={}: its web instance is gone, nobody waits", request.id());
        } catch (RuntimeException e) {
            // The result is stored (the asynchronous API shows it); a caller still waiting gets its 504 instead.
            LOG.warn("dead letter id={}: could not answer its caller: {}", request.id(), e.toString());
        }
    }

    /** The reason a caller reads: the worker's refusal, or what SQS's redrive after maxReceiveCount receives means. */
    static String reason(@Nullable MessageAttributeValue rejected) {
        if (rejected != null && rejected.stringValue() != null) {
            return "refused by the classifier tier: " + rejected.stringValue();
        }
        return "no worker could finish the classification in the attempts allowed (the image crashed a worker or "
                + "took longer than the job time limit); the request is kept in the dead-letter queue";
    }

    /**
     * Lets the current poll end and its messages be reported and held before returning. Interrupting it instead would
     * make the SDK throw away what the poll had already received, leaving those messages invisible for 30 s.
     */
    @PreDestroy
    void stop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join(Duration.ofSeconds(waitSeconds + 10L).toMillis());
            thread.interrupt();
        }
    }
}
