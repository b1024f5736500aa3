package io.github.elasticimage.web;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.web.queue.PendingRequests;
import io.micronaut.runtime.server.EmbeddedServer;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A stand-in classifier tier for web-tier tests (the model is not the subject here): it speaks the real contract over
 * the real SQS and S3 servers. It reads each upload back from S3 and answers {@link #labelFor(byte[])}, after a random
 * delay on one of several threads, so answers come back out of order. Files named {@code FAIL*}, and images
 * that do not decode, get a failure answer (and their upload is deleted, as the real worker does), {@code SILENT*} none, {@code TWICE*} the same answer twice.
 * A request whose upload is gone gets an {@code INPUT_MISSING} failure answer, as from the real worker.
 * Each result is also stored in the output bucket with the request's owner tag, as the real worker stores it.
 */
final class FakeWorker implements AutoCloseable {

    private final LocalAwsServers cloud;
    private final String requestQueueUrl;
    private final ExecutorService pool = Executors.newFixedThreadPool(8);
    private final Thread receiver;
    private final List<ClassificationRequest> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    FakeWorker(LocalAwsServers cloud) {
        this(cloud, cloud.resources().requestQueue());
    }

    /** A worker on a request queue of the test's own (it must exist), so no other test's requests reach it. */
    FakeWorker(LocalAwsServers cloud, String requestQueue) {
        this.cloud = cloud;
        this.requestQueueUrl = cloud.queueUrl(requestQueue);
        this.receiver = new Thread(this::run, "fake-worker");
        receiver.setDaemon(true);
        receiver.start();
    }

    /** The label this fake gives an image: derived from its bytes, so each caller can check it got its own. */
    static String labelFor(byte[] image) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(image);
            return "label-" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void run() {
        while (running) {
            try {
                List<Message> messages = cloud.sqs().receiveMessage(b -> b.queueUrl(requestQueueUrl)
                        .maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
                for (Message message : messages) {
                    pool.execute(() -> answer(message));
                }
            } catch (RuntimeException e) {
                if (running) {
                    e.printStackTrace();
                }
            }
        }
    }

    private void answer(Message message) {
        try {
            ClassificationRequest request = Messages.parseRequest(message.body());
            received.add(request);
            byte[] image;
            try {
                image = cloud.s3().getObjectAsBytes(b -> b.bucket(request.bucket()).key(request.key())).asByteArray();
            } catch (NoSuchKeyException e) {
                // like the real worker (JobProcessor): a request whose upload is gone is answered as a failure
                String json = Messages.toJson(ClassificationResult.failed(request.id(), ErrorCode.INPUT_MISSING,
                        "upload not found", "fake", null));
                try {
                    cloud.sqs().sendMessage(b -> b.queueUrl(request.replyTo()).messageBody(json));
                } catch (QueueDoesNotExistException gone) {
                    // the web instance that sent it has stopped: nobody to answer
                }
                cloud.sqs().deleteMessage(b -> b.queueUrl(requestQueueUrl).receiptHandle(message.receiptHandle()));
                return;
            }
            String text = request.fileName() == null ? "" : request.fileName();
            Thread.sleep(ThreadLocalRandom.current().nextInt(0, 40));
            if (!text.startsWith("SILENT")) {
                boolean undecodable = text.startsWith("FAIL") || !decodes(image);
                if (undecodable) {
                    // like the real worker: an image that cannot be decoded is not kept
                    cloud.s3().deleteObject(b -> b.bucket(request.bucket()).key(request.key()));
                }
                ClassificationResult result = undecodable
                        ? ClassificationResult.failed(request.id(), ErrorCode.UNDECODABLE_IMAGE, "not an image", "fake",
                        null)
                        : ClassificationResult.done(request.id(), List.of(new Prediction(labelFor(image), 0.9)), "fake",
                        null);
                String json = Messages.toJson(result);
                // Stored like the real worker's result: under the id, with the submitter's owner tag as metadata.
                cloud.s3().putObject(b -> b.bucket(cloud.resources().outputBucket()).key(Messages.resultKey(request.id()))
                        .contentType("application/json").metadata(request.owner() == null ? Map.of()
                                : Map.of(Messages.OWNER_METADATA, request.owner())), RequestBody.fromString(json));
                int copies = text.startsWith("TWICE") ? 2 : 1;
                for (int i = 0; i < copies; i++) {
                    cloud.sqs().sendMessage(b -> b.queueUrl(request.replyTo()).messageBody(json));
                }
            }
            cloud.sqs().deleteMessage(b -> b.queueUrl(requestQueueUrl).receiptHandle(message.receiptHandle()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every request this worker has received, in order (a redelivered one twice). */
    List<ClassificationRequest> received() {
        return List.copyOf(received);
    }

    /** False only for bytes an ImageIO reader claims but cannot decode (e.g. a truncated JPEG). */
    private static boolean decodes(byte[] image) {
        try (var in = javax.imageio.ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(image))) {
            if (!javax.imageio.ImageIO.getImageReaders(in).hasNext()) {
                return true;
            }
        } catch (java.io.IOException e) {
            return true;
        }
        try {
            return javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(image)) != null;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        receiver.join(5_000);
        pool.shutdown();
        pool.awaitTermination(5, TimeUnit.SECONDS);
    }

    /**
     * One caller of {@code server}'s {@code /classify} that no FakeWorker answers ({@code SILENT}), returned once the
     * web tier holds it among its waiting callers; it ends with the web tier's result timeout (504).
     */
    static CompletableFuture<HttpResponse<String>> oneSilentCaller(HttpClient http, EmbeddedServer server) {
        PendingRequests pending = server.getApplicationContext().getBean(PendingRequests.class);
        int before = pending.size();
        CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(MultipartForm.create()
                        .file("myfile", "SILENT.png", "image/png", TestImages.png("silent"))
                        .post(HttpRequest.newBuilder(URI.create(server.getURL() + "/classify"))).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> pending.size() == before + 1);
        return waiting;
    }
}
