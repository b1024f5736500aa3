package io.github.elasticimage.classifier.job;

import io.github.elasticimage.aws.QueueUrls;
import io.github.elasticimage.aws.ResourceNames;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.contract.ReplyQueues;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

import java.util.Map;

/**
 * What a request message may ask (docs/security.md): the worker reads only its configured input bucket, only the
 * upload key of a request id that is a UUID, and answers only on a response queue of this deployment (a queue named
 * {@code <RESPONSE_QUEUE_PREFIX>-...} on the same SQS endpoint and account as the request queue). Anything else is
 * moved to the dead-letter queue unprocessed, with the reason as the message attribute {@value #REASON_ATTRIBUTE}, and
 * counted as {@code classifier_jobs_total{outcome="rejected"}}: no bucket is read, nothing is written, no answer is
 * sent.
 */
@Singleton
public class RequestGuard {

    /** Message attribute on a rejected request in the dead-letter queue: why it was rejected. */
    public static final String REASON_ATTRIBUTE = Messages.REJECTED_REASON_ATTRIBUTE;

    private static final Logger LOG = LoggerFactory.getLogger(RequestGuard.class);
    /** Longest piece of a message echoed into a log line or a reason (the rest is attacker-sized). */
    private static final int SHOWN = 80;

    private final SqsClient sqs;
    private final QueueUrls queueUrls;
    private final ResourceNames names;
    private final JobMetrics metrics;

    public RequestGuard(SqsClient sqs, QueueUrls queueUrls, ResourceNames names, JobMetrics metrics) {
        this.sqs = sqs;
        this.queueUrls = queueUrls;
        this.names = names;
        this.metrics = metrics;
    }

    /**
     * Lets the request through, or moves its message to the dead-letter queue (then deletes it from the request queue).
     *
     * @param queueUrl the request queue's URL, as this worker resolved it
     * @return true when the worker may handle the request
     */
    public boolean admit(String queueUrl, Message message, ClassificationRequest request) {
        String reason = refusal(request, queueUrl);
        if (reason == null) {
            return true;
        }
        String dlq = queueUrls.urlOf(names.deadLetterQueue());
        sqs.sendMessage(b -> b.queueUrl(dlq).messageBody(message.body()).messageAttributes(Map.of(REASON_ATTRIBUTE,
                MessageAttributeValue.builder().dataType("String").stringValue(reason).build())));
        sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(message.receiptHandle()));
        metrics.rejected();
        LOG.warn("message {} rejected, moved to the dead-letter queue unprocessed: {}", message.messageId(), reason);
        return false;
    }

    /** Why this worker must not act on {@code request}, or null when it may. */
    @Nullable
    String refusal(ClassificationRequest request, String requestQueueUrl) {
        if (!request.bucket().equals(names.inputBucket())) {
            return "bucket " + shown(request.bucket()) + " is not the input bucket";
        }
        if (!isUuid(request.id())) {
            return "id " + shown(request.id()) + " is not a UUID";
        }
        if (!request.key().equals(Messages.uploadKey(request.id()))) {
            return "key " + shown(request.key()) + " is not the upload key of id " + request.id();
        }
        if (!isResponseQueue(request.replyTo(), requestQueueUrl)) {
            return "replyTo " + shown(request.replyTo()) + " is not a response queue of this deployment";
        }
        return null;
    }

    /** A UUID in its canonical form (as the web tier writes it), so that the id is also a safe key stem. */
    static boolean isUuid(String id) {
        return ReplyQueues.isRequestId(id);
    }

    /** True when {@code replyTo} is a response queue of this deployment ({@link ReplyQueues#isResponseQueue}). */
    boolean isResponseQueue(String replyTo, String requestQueueUrl) {
        return ReplyQueues.isResponseQueue(replyTo, requestQueueUrl, names.responseQueuePrefix());
    }

    /** A piece of the message as it may appear in a log line: quoted, at most {@value #SHOWN} characters, printable. */
    static String shown(String value) {
        String cut = value.length() > SHOWN ? value.substring(0, SHOWN) + "..." : value;
        return '"' + cut.replaceAll("[^\\x20-\\x7e]", "?") + '"';
    }
}
