package io.github.elasticimage.web;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import software.amazon.awssdk.services.sqs.model.Message;

import java.util.Arrays;
import java.util.List;

/**
 * A stand-in classifier for the page test: over the real SQS and S3 servers it answers {@code espresso} with a fixed
 * top-5, but only for an upload whose bytes are exactly the expected image (so the answer proves the page sent the
 * chosen file); anything else gets a failure answer.
 */
final class EspressoWorker implements AutoCloseable {

    static final List<Prediction> TOP5 = List.of(new Prediction("espresso", 0.874),
            new Prediction("cup", 0.061), new Prediction("coffee mug", 0.032), new Prediction("eggnog", 0.018),
            new Prediction("chocolate sauce", 0.007));

    private final LocalAwsServers cloud;
    private final byte[] expected;
    private final String requestQueueUrl;
    private final Thread receiver;
    private volatile boolean running = true;

    EspressoWorker(LocalAwsServers cloud, byte[] expected) {
        this.cloud = cloud;
        this.expected = expected.clone();
        this.requestQueueUrl = cloud.queueUrl(cloud.resources().requestQueue());
        this.receiver = new Thread(this::run, "espresso-worker");
        receiver.setDaemon(true);
        receiver.start();
    }

    private void run() {
        while (running) {
            try {
                for (Message message : cloud.sqs().receiveMessage(b -> b.queueUrl(requestQueueUrl)
                        .maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                    answer(message);
                }
            } catch (RuntimeException e) {
                if (running) {
                    e.printStackTrace();
                }
            }
        }
    }

    private void answer(Message message) {
        ClassificationRequest request = Messages.parseRequest(message.body());
        byte[] image = cloud.s3().getObjectAsBytes(b -> b.bucket(request.bucket()).key(request.key())).asByteArray();
        ClassificationResult result = Arrays.equals(image, expected)
                ? ClassificationResult.done(request.id(), TOP5, "espresso-worker", null)
                : ClassificationResult.failed(request.id(), ErrorCode.UNDECODABLE_IMAGE,
                "not the expected sample image", "espresso-worker", null);
        cloud.sqs().sendMessage(b -> b.queueUrl(request.replyTo()).messageBody(Messages.toJson(result)));
        cloud.sqs().deleteMessage(b -> b.queueUrl(requestQueueUrl).receiptHandle(message.receiptHandle()));
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        receiver.join(5_000);
    }
}
