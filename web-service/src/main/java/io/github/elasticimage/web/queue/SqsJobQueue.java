package io.github.elasticimage.web.queue;

import io.github.elasticimage.aws.QueueUrls;
import io.github.elasticimage.aws.ResourceNames;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.Messages;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.sqs.SqsClient;

/** {@link JobQueue} on the SQS request queue. */
@Singleton
public class SqsJobQueue implements JobQueue {

    private final SqsClient sqs;
    private final QueueUrls queueUrls;
    private final ResourceNames names;

    public SqsJobQueue(SqsClient sqs, QueueUrls queueUrls, ResourceNames names) {
        this.sqs = sqs;
        this.queueUrls = queueUrls;
        this.names = names;
    }

    @Override
    public void send(ClassificationRequest request) {
        String url = queueUrls.urlOf(names.requestQueue());
        sqs.sendMessage(b -> b.queueUrl(url).messageBody(Messages.toJson(request)));
    }
}
