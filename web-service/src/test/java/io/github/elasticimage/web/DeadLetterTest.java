package io.github.elasticimage.web;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.contract.Messages;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.client.multipart.MultipartBody;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing pending forever: a request that ends in the dead-letter queue is reported by the web tier's
 * {@code DeadLetterWatcher}. A waiting {@code /classify} caller gets 502 with the reason at once (not a 504 after
 * {@code RESULT_TIMEOUT}, here 45 s), the asynchronous API shows {@code failed} with the reason, for both ways into the
 * queue: a worker's refusal (moved there with the {@code RejectedReason} attribute, as the worker's RequestGuard does)
 * and SQS's own move after maxReceiveCount receives (a "worker" that crashes on the request: receives it and never
 * answers). A message is reported once, whoever reads it again; a result already stored is never replaced; a redriven
 * request a worker then answers turns its {@code failed} result into {@code done}.
 *
 * <p>The test has its own request queue with its own dead-letter queue (maxReceiveCount 2) on the shared ElasticMQ,
 * so it decides what reaches a worker and what is dead-lettered. Prints {@code dead-letter:} lines with timings.
 */
class DeadLetterTest extends WebTierTest {

    private static final String REQUEST_QUEUE = "dead-letter-test-requests";
    private static final String DEAD_LETTER_QUEUE = "dead-letter-test-dlq";
    private static final int MAX_RECEIVE_COUNT = 2;
    private static final Duration RESULT_TIMEOUT = Duration.ofSeconds(45);
    private static final Duration HOLD = Duration.ofSeconds(2);
    /** How soon a caller must have its answer once its request is dead-lettered; far below RESULT_TIMEOUT. */
    private static final Duration PROMPTLY = Duration.ofSeconds(5);
    private static final Argument<Map<String, Object>> JSON = Argument.mapOf(String.class, Object.class);

    @Inject
    MeterRegistry registry;

    private String requestQueueUrl;
    private String requestQueueArn;
    private String deadLetterQueueUrl;
    private String deadLetterQueueArn;
    /** What the test's stand-in worker does with each request it receives. */
    private volatile Behaviour behaviour = Behaviour.CRASH;
    private final Map<String, AtomicLong> lastReceive = new ConcurrentHashMap<>();
    private final Set<String> receivedIds = ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;
    private Thread worker;

    private enum Behaviour { CRASH, REFUSE, IDLE }

    @Override
    protected void configure(Map<String, String> properties) {
        deadLetterQueueUrl = CLOUD.sqs().createQueue(b -> b.queueName(DEAD_LETTER_QUEUE)).queueUrl();
        deadLetterQueueArn = arn(deadLetterQueueUrl);
        requestQueueUrl = CLOUD.sqs().createQueue(b -> b.queueName(REQUEST_QUEUE).attributes(Map.of(
                QueueAttributeName.REDRIVE_POLICY, "{\"deadLetterTargetArn\":\"" + deadLetterQueueArn
                        + "\",\"maxReceiveCount\":\"" + MAX_RECEIVE_COUNT + "\"}"))).queueUrl();
        requestQueueArn = arn(requestQueueUrl);
        properties.put("app.resources.request-queue", REQUEST_QUEUE);
        properties.put("app.resources.dead-letter-queue", DEAD_LETTER_QUEUE);
        properties.put("app.web.result-timeout", RESULT_TIMEOUT.toSeconds() + "s");
        properties.put("app.dead-letter.hold", HOLD.toSeconds() + "s");
        properties.put("micronaut.http.client.read-timeout", "90s");
        worker = new Thread(this::work, "dead-letter-test-worker");
        worker.setDaemon(true);
        worker.start();
    }

    private static String arn(String queueUrl) {
        return CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
    }

    /**
     * The stand-in worker: CRASH receives a request and never answers nor deletes it, making it visible again at once
     * (a worker that dies on it, and a new one that takes it); after maxReceiveCount receives ElasticMQ moves it to the
     * dead-letter queue. REFUSE does what the worker's RequestGuard does with a request it may not act on.
     */
    private void work() {
        while (running) {
            try {
                if (behaviour == Behaviour.IDLE) {
                    Thread.sleep(100);
                    continue;
                }
                List<Message> messages = CLOUD.sqs().receiveMessage(b -> b.queueUrl(requestQueueUrl)
                        .maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
                for (Message message : messages) {
                    if (behaviour == Behaviour.IDLE) { // switched while it polled: leave it to whoever takes over
                        CLOUD.sqs().changeMessageVisibility(b -> b.queueUrl(requestQueueUrl)
                                .receiptHandle(message.receiptHandle()).visibilityTimeout(0));
                        continue;
                    }
                    String id = Messages.parseRequest(message.body()).id();
                    receivedIds.add(id);
                    lastReceive.computeIfAbsent(id, k -> new AtomicLong()).set(System.nanoTime());
                    if (behaviour == Behaviour.REFUSE) {
                        CLOUD.sqs().sendMessage(b -> b.queueUrl(deadLetterQueueUrl).messageBody(message.body())
                                .messageAttributes(Map.of(Messages.REJECTED_REASON_ATTRIBUTE, MessageAttributeValue
                                        .builder().dataType("String").stringValue("bucket \"elsewhere\" is not the "
                                                + "input bucket").build())));
                        CLOUD.sqs().deleteMessage(b -> b.queueUrl(requestQueueUrl)
                                .receiptHandle(message.receiptHandle()));
                    } else {
                        CLOUD.sqs().changeMessageVisibility(b -> b.queueUrl(requestQueueUrl)
                                .receiptHandle(message.receiptHandle()).visibilityTimeout(0));
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (running) {
                    e.printStackTrace();
                }
            }
        }
    }

    /** Each test starts with empty queues, so the dead-letter queue's depth counts its own messages only. */
    @BeforeEach
    void emptyQueues() {
        CLOUD.sqs().purgeQueue(b -> b.queueUrl(deadLetterQueueUrl));
        CLOUD.sqs().purgeQueue(b -> b.queueUrl(requestQueueUrl));
    }

    @AfterAll
    void stopWorker() throws InterruptedException {
        running = false;
        worker.join(5_000);
    }

    private CompletableFuture<HttpClientResponseException> classifyExpectingError(String fileName, byte[] image) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                HttpResponse<String> ok = client.toBlocking().exchange(HttpRequest.POST("/classify",
                                MultipartBody.builder().addPart("myfile", fileName, MediaType.IMAGE_PNG_TYPE, image)
                                        .build())
                        .contentType(MediaType.MULTIPART_FORM_DATA_TYPE).accept(MediaType.APPLICATION_JSON_TYPE),
                        String.class);
                throw new AssertionError("expected an error, got " + ok.getStatus() + " " + ok.body());
            } catch (HttpClientResponseException e) {
                return e;
            }
        });
    }

    private String submit(String fileName, byte[] image) {
        HttpResponse<Map<String, Object>> accepted = client.toBlocking().exchange(HttpRequest.POST(
                        "/api/v1/classifications", MultipartBody.builder()
                                .addPart("myfile", fileName, MediaType.IMAGE_PNG_TYPE, image).build())
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE), JSON);
        return (String) accepted.body().get("id");
    }

    private Map<String, Object> status(String id) {
        return client.toBlocking().retrieve(HttpRequest.GET("/api/v1/classifications/" + id), JSON);
    }

    private static Map<String, Object> body(HttpClientResponseException e) {
        return e.getResponse().getBody(JSON).orElseThrow();
    }

    @Test
    void aRequestThatCrashesWorkersIsAnswered502AtOnceAndReadsFailed() throws Exception {
        behaviour = Behaviour.CRASH;
        long start = System.nanoTime();
        CompletableFuture<HttpClientResponseException> caller = classifyExpectingError("poison.png",
                TestImages.png("poison sync"));
        String asyncId = submit("poison-async.png", TestImages.png("poison async"));

        HttpClientResponseException error = caller.get(RESULT_TIMEOUT.toSeconds() + 30, java.util.concurrent.TimeUnit.SECONDS);
        long answeredAt = System.nanoTime();
        assertEquals(HttpStatus.BAD_GATEWAY, error.getStatus(), "a dead-lettered request is a 502, not a 504");
        Map<String, Object> body = body(error);
        String id = (String) body.get("id");
        assertTrue(String.valueOf(body.get("message")).contains("no worker could finish"), body.toString());
        long afterLastReceiveMs = (answeredAt - lastReceive.get(id).get()) / 1_000_000;
        long totalMs = (answeredAt - start) / 1_000_000;
        System.out.printf("dead-letter: crash: caller answered %d %d ms after the last failed receive (%d ms after "
                + "sending; result timeout %d s)%n", error.getStatus().getCode(), afterLastReceiveMs, totalMs,
                RESULT_TIMEOUT.toSeconds());
        assertTrue(afterLastReceiveMs < PROMPTLY.toMillis(), "answered " + afterLastReceiveMs
                + " ms after its request was dead-lettered");

        await().atMost(PROMPTLY.plusSeconds(5)).until(() -> "failed".equals(status(asyncId).get("status")));
        Map<String, Object> failed = status(asyncId);
        assertTrue(String.valueOf(failed.get("reason")).contains("no worker could finish"), failed.toString());
        ClassificationResult stored = storedResult(asyncId);
        assertEquals(ClassificationResult.ErrorCode.DEAD_LETTERED, stored.errorCode());
        // Reported, and kept in the dead-letter queue for a redrive.
        assertEquals(2, deadLetterQueueDepth(), "both stay in the dead-letter queue");
    }

    @Test
    void aRequestAWorkerRefusedIsAnswered502AtOnceWithTheRefusal() throws Exception {
        behaviour = Behaviour.REFUSE;
        try {
            CompletableFuture<HttpClientResponseException> caller = classifyExpectingError("refused.png",
                    TestImages.png("refused sync"));
            HttpClientResponseException error = caller.get(RESULT_TIMEOUT.toSeconds() + 30,
                    java.util.concurrent.TimeUnit.SECONDS);
            long answeredAt = System.nanoTime();
            assertEquals(HttpStatus.BAD_GATEWAY, error.getStatus());
            Map<String, Object> body = body(error);
            String id = (String) body.get("id");
            assertEquals("refused by the classifier tier: bucket \"elsewhere\" is not the input bucket",
                    body.get("message"));
            long afterRefusalMs = (answeredAt - lastReceive.get(id).get()) / 1_000_000;
            System.out.printf("dead-letter: refused: caller answered %d %d ms after the refusal%n",
                    error.getStatus().getCode(), afterRefusalMs);
            assertTrue(afterRefusalMs < PROMPTLY.toMillis(), "answered " + afterRefusalMs + " ms after the refusal");

            String asyncId = submit("refused-async.png", TestImages.png("refused async"));
            await().atMost(PROMPTLY.plusSeconds(5)).until(() -> "failed".equals(status(asyncId).get("status")));
            assertEquals("refused by the classifier tier: bucket \"elsewhere\" is not the input bucket",
                    status(asyncId).get("reason"));
        } finally {
            behaviour = Behaviour.CRASH;
        }
    }

    @Test
    void aDeadLetterIsReportedOnceAndNeverReplacesAStoredResult() throws Exception {
        // A response queue of this deployment that the test reads itself, so it sees every answer sent.
        String probe = CLOUD.resources().responseQueuePrefix() + "-dead-letter-probe";
        String probeUrl = CLOUD.sqs().createQueue(b -> b.queueName(probe)).queueUrl();
        String reported = UUID.randomUUID().toString();
        String answered = UUID.randomUUID().toString();
        // `answered` has a result already: a worker answered it, then crashed before deleting its request.
        String done = Messages.toJson(ClassificationResult.done(answered, List.of(new Prediction("tabby", 0.9)),
                "w", null));
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().outputBucket()).key(Messages.resultKey(answered))
                .contentType("application/json"), RequestBody.fromString(done));
        double alreadyBefore = count("already_reported");
        for (String id : List.of(reported, answered)) {
            CLOUD.sqs().sendMessage(b -> b.queueUrl(deadLetterQueueUrl).messageBody(Messages.toJson(
                    ClassificationRequest.of(id, CLOUD.resources().inputBucket(), Messages.uploadKey(id), "x.png",
                            probeUrl, System.currentTimeMillis()))));
        }

        List<ClassificationResult> answers = new ArrayList<>();
        await().atMost(PROMPTLY).until(() -> {
            receiveAll(probeUrl, answers);
            return !answers.isEmpty();
        });
        String etag = CLOUD.s3().headObject(b -> b.bucket(CLOUD.resources().outputBucket())
                .key(Messages.resultKey(reported))).eTag();
        // Each message is read again after every hold (2 s): wait for at least two more reads of both.
        await().atMost(Duration.ofSeconds(20)).until(() -> count("already_reported") >= alreadyBefore + 5);
        receiveAll(probeUrl, answers);

        assertEquals(1, answers.size(), "one answer, for the request without a result: " + answers);
        assertEquals(reported, answers.get(0).id());
        assertEquals(ClassificationResult.ErrorCode.DEAD_LETTERED, answers.get(0).errorCode());
        assertEquals(etag, CLOUD.s3().headObject(b -> b.bucket(CLOUD.resources().outputBucket())
                .key(Messages.resultKey(reported))).eTag(), "the failure is stored once");
        assertEquals("tabby", storedResult(answered).label(), "a worker's result is never replaced");
        assertEquals(2, deadLetterQueueDepth(), "both stay for a redrive");
        System.out.printf("dead-letter: reported once: %d answer(s) for 2 dead letters read %.0f more time(s)%n",
                answers.size(), count("already_reported") - alreadyBefore);
        CLOUD.sqs().deleteQueue(b -> b.queueUrl(probeUrl));
    }

    /**
     * The documented redrive (docs/reliability.md): a message move task from the dead-letter queue to the request
     * queue (ElasticMQ implements SQS's StartMessageMoveTask). The request is classified again and its {@code failed}
     * result becomes {@code done}; nothing is left in the dead-letter queue.
     */
    @Test
    void aRedrivenRequestIsClassifiedAndItsFailedResultBecomesDone() throws Exception {
        behaviour = Behaviour.REFUSE;
        byte[] image = TestImages.png("redriven");
        String id = submit("redriven.png", image);
        await().atMost(PROMPTLY.plusSeconds(5)).until(() -> "failed".equals(status(id).get("status")));
        behaviour = Behaviour.IDLE;
        long reportedAt = System.nanoTime();
        try (FakeWorker worker = new FakeWorker(CLOUD, REQUEST_QUEUE)) {
            int tasks = 0;
            long moved = 0;
            StringBuilder log = new StringBuilder();
            while (deadLetterQueueDepth() > 0 && tasks < 10) {
                tasks++;
                String held = CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(deadLetterQueueUrl).attributeNames(
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes()
                        .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
                long t0 = System.nanoTime();
                CLOUD.sqs().startMessageMoveTask(b -> b.sourceArn(deadLetterQueueArn).destinationArn(requestQueueArn));
                await().atMost(Duration.ofSeconds(10)).until(() -> CLOUD.sqs().listMessageMoveTasks(b -> b
                        .sourceArn(deadLetterQueueArn).maxResults(1)).results().get(0).status().equals("COMPLETED"));
                long n = CLOUD.sqs().listMessageMoveTasks(b -> b.sourceArn(deadLetterQueueArn).maxResults(1))
                        .results().get(0).approximateNumberOfMessagesMoved();
                moved += n;
                log.append(String.format(" [task %d: %s held at start, moved %d in %d ms]", tasks, held, n,
                        (System.nanoTime() - t0) / 1_000_000));
                if (deadLetterQueueDepth() > 0) {
                    Thread.sleep(500); // still held by the watcher (DEAD_LETTER_HOLD): not movable yet
                }
            }
            await().atMost(PROMPTLY.plusSeconds(5)).until(() -> "done".equals(status(id).get("status")));
            System.out.printf("dead-letter: redrive: %d move task(s) moved %d message(s); done %d ms after the "
                    + "report (hold %d s);%s%n", tasks, moved, (System.nanoTime() - reportedAt) / 1_000_000,
                    HOLD.toSeconds(), log);
            assertEquals(FakeWorker.labelFor(image), status(id).get("label"));
            assertEquals(1, worker.received().size(), "classified once more");
            assertEquals(0, deadLetterQueueDepth(), "nothing left in the dead-letter queue");
        } finally {
            behaviour = Behaviour.CRASH;
        }
    }

    private static void receiveAll(String queueUrl, List<ClassificationResult> into) {
        for (Message m : CLOUD.sqs().receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
                .waitTimeSeconds(1)).messages()) {
            into.add(Messages.parseResult(m.body()));
            CLOUD.sqs().deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
        }
    }

    private double count(String outcome) {
        return registry.counter("web.dead.letters", "outcome", outcome).count();
    }

    private static ClassificationResult storedResult(String id) {
        return Messages.parseResult(CLOUD.s3().getObjectAsBytes(b -> b.bucket(CLOUD.resources().outputBucket())
                .key(Messages.resultKey(id))).asUtf8String());
    }

    /** Messages in the test's dead-letter queue, visible or held. */
    private long deadLetterQueueDepth() {
        Map<QueueAttributeName, String> attributes = CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(deadLetterQueueUrl)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
        return Long.parseLong(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Long.parseLong(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }
}
