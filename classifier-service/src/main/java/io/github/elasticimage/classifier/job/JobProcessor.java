package io.github.elasticimage.classifier.job;

import io.github.elasticimage.aws.ResourceNames;
import io.github.elasticimage.classifier.config.WorkerProperties;
import io.github.elasticimage.classifier.model.ImageClassifier;
import io.github.elasticimage.classifier.model.ImageDecodeException;
import io.github.elasticimage.classifier.model.InferencePool;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import io.github.elasticimage.contract.ClassificationResult.Timings;
import io.github.elasticimage.contract.Messages;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Handles one request message: fetch the image, classify it, store the result in the output bucket, send the answer
 * to the request's reply queue, and only then delete the request. A message that breaks the contract is left on the
 * queue, so SQS moves it to the dead-letter queue after maxReceiveCount receives; one that asks for what this
 * deployment does not allow is moved there at once, unprocessed ({@link RequestGuard}).
 */
@Singleton
public class JobProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(JobProcessor.class);
    private static final int TOP_K = 5;

    private final SqsClient sqs;
    private final S3Client s3;
    private final InferencePool inference;
    private final ExecutorService resultWriter = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "result-writer");
        t.setDaemon(true);
        return t;
    });
    private final ResourceNames names;
    private final String worker;
    private final JobMetrics metrics;
    private final RequestGuard guard;

    public JobProcessor(SqsClient sqs, S3Client s3, InferencePool inference, ResourceNames names,
                        WorkerProperties properties, JobMetrics metrics, RequestGuard guard) {
        this.metrics = metrics;
        this.guard = guard;
        this.sqs = sqs;
        this.s3 = s3;
        this.inference = inference;
        this.names = names;
        this.worker = properties.id() != null && !properties.id().isBlank()
                ? properties.id()
                : ManagementFactory.getRuntimeMXBean().getName();
    }

    public String worker() {
        return worker;
    }

    /**
     * Processes one message from {@code queueUrl}.
     *
     * @return true when the message was answered and deleted
     */
    public boolean process(String queueUrl, Message message) {
        long start = System.nanoTime();
        ClassificationRequest request = parse(queueUrl, message);
        if (request == null || !guard.admit(queueUrl, message, request)) {
            return false;
        }
        ClassificationResult result = classify(request, start);
        if (Thread.currentThread().isInterrupted()) {
            // Abandoned (MAX_JOB_TIME, VisibilityExtender): its message is left to redelivery, so no answer from here.
            throw new IllegalStateException("job " + request.id() + " abandoned before its answer");
        }
        storeAndAnswer(request, result);
        // Logged before the delete: a worker killed after answering either logged the job or left the request to be
        // delivered again (and logged by whoever takes it), so every answer has a job line.
        log(request, result, start);
        sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(message.receiptHandle()));
        metrics.answered(result);
        return true;
    }

    /** The request in the message, or null when it breaks the contract (then left for the dead-letter queue). */
    private ClassificationRequest parse(String queueUrl, Message message) {
        try {
            return Messages.parseRequest(message.body());
        } catch (Messages.MalformedMessageException e) {
            LOG.warn("message {} breaks the contract (receive #{}), left for the dead-letter queue: {}",
                    message.messageId(), message.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT),
                    e.getMessage());
            metrics.malformed();
            // No retry can fix it: make it visible again at once so SQS dead-letters it after maxReceiveCount
            // receives instead of holding it for maxReceiveCount visibility timeouts.
            sqs.changeMessageVisibility(b -> b.queueUrl(queueUrl).receiptHandle(message.receiptHandle())
                    .visibilityTimeout(0));
            return null;
        }
    }

    /** Fetches and classifies the image: a DONE result, or a FAILED one the caller is answered with at once. */
    private ClassificationResult classify(ClassificationRequest request, long start) {
        long queueWaitMs = Math.max(0, System.currentTimeMillis() - request.submittedAt());
        metrics.queueWait(queueWaitMs);
        long downloadMs = 0;
        long decodeMs = 0;
        long inferenceMs = 0;
        try {
            long t0 = System.nanoTime();
            byte[] image = download(request);
            downloadMs = (System.nanoTime() - t0) / 1_000_000;
            metrics.download(System.nanoTime() - t0);
            ImageClassifier.Classification classification = inference.classify(image, TOP_K);
            metrics.classified(classification);
            decodeMs = classification.preprocessNanos() / 1_000_000;
            inferenceMs = classification.inferenceNanos() / 1_000_000;
            return ClassificationResult.done(request.id(), classification.top(), worker,
                    timings(queueWaitMs, downloadMs, decodeMs, inferenceMs, start));
        } catch (ImageDecodeException e) {
            ClassificationResult failed = ClassificationResult.failed(request.id(), e.code(), e.getMessage(), worker,
                    timings(queueWaitMs, downloadMs, decodeMs, inferenceMs, start));
            // Nothing will ever use an image that cannot be decoded: do not keep it.
            s3.deleteObject(b -> b.bucket(request.bucket()).key(request.key()));
            return failed;
        } catch (NoSuchKeyException | NoSuchBucketException e) {
            return ClassificationResult.failed(request.id(), ErrorCode.INPUT_MISSING,
                    "input image not found", worker, timings(queueWaitMs, downloadMs, decodeMs, inferenceMs, start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while classifying " + request.id(), e);
        }
    }

    /**
     * The request's image, read into one array of its Content-Length (getObjectAsBytes grows a buffer and copies it,
     * then asByteArray copies again). A body shorter or longer than its Content-Length is an I/O failure: the job fails
     * and the request is retried, rather than a truncated image answered as undecodable.
     */
    private byte[] download(ClassificationRequest request) {
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(request.bucket())
                .key(request.key()))) {
            Long length = in.response().contentLength();
            if (length == null || length < 0 || length > Integer.MAX_VALUE - 8) {
                return in.readAllBytes();
            }
            byte[] image = in.readNBytes(length.intValue());
            // Read to the end: it checks the length, lets the SDK validate a checksum, and keeps the connection.
            if (image.length != length || in.read() != -1) {
                throw new IOException("image body does not match its Content-Length " + length);
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("could not download " + request.bucket() + "/" + request.key(), e);
        }
    }

    /**
     * Stores the result and answers the caller at the same time (the caller need not wait for the S3 write). If this
     * worker dies before the delete, the request is delivered again and the result is written again under the same
     * key (idempotent); the web tier completes each caller only once.
     */
    private void storeAndAnswer(ClassificationRequest request, ClassificationResult result) {
        String json = Messages.toJson(result);
        CompletableFuture<Void> stored = CompletableFuture.runAsync(() -> {
            long u0 = System.nanoTime();
            // The submitting API key's tag goes with the result: the web tier shows it to that key only.
            s3.putObject(b -> b.bucket(names.outputBucket()).key(Messages.resultKey(request.id()))
                    .contentType("application/json")
                    .metadata(request.owner() == null ? java.util.Map.of()
                            : java.util.Map.of(Messages.OWNER_METADATA, request.owner())),
                    RequestBody.fromString(json));
            metrics.upload(System.nanoTime() - u0);
        }, resultWriter);
        try {
            sqs.sendMessage(b -> b.queueUrl(request.replyTo()).messageBody(json));
        } catch (QueueDoesNotExistException e) {
            // Its web instance has stopped (e.g. a request redriven from the dead-letter queue long after): nobody
            // waits, the stored result is the answer. Retrying could not help; it would only dead-letter it again.
            LOG.info("job id={}: reply queue gone (its web instance stopped); result stored, no answer sent",
                    request.id());
        }
        try {
            stored.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
        }
    }

    private static void log(ClassificationRequest request, ClassificationResult result, long start) {
        if (result.isDone()) {
            Timings t = result.timings();
            LOG.info("job id={} label=\"{}\" p={} queue_wait_ms={} download_ms={} decode_ms={} inference_ms={} total_ms={}",
                    request.id(), result.label(), String.format("%.3f", result.confidence()), t.queueWaitMs(),
                    t.downloadMs(), t.decodeMs(), t.inferenceMs(), (System.nanoTime() - start) / 1_000_000);
        } else {
            LOG.info("job id={} failed {}: {}", request.id(), result.errorCode(), result.error());
        }
    }

    @jakarta.annotation.PreDestroy
    void close() {
        resultWriter.shutdown();
    }

    private static Timings timings(long queueWaitMs, long downloadMs, long decodeMs, long inferenceMs, long start) {
        return new Timings(queueWaitMs, downloadMs, decodeMs, inferenceMs, (System.nanoTime() - start) / 1_000_000);
    }
}
