package io.github.elasticimage.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault 3: SQS delivers an answer more than once. While a caller waits, two copies of its answer are put on the web
 * tier's response queue (what at-least-once delivery can do), and the worker's own answer follows: three answers for
 * one id. The caller gets exactly one; the other callers waiting at the same time get their own answers, not a copy;
 * the extra copies are consumed and dropped.
 *
 * <p>To have a caller reliably waiting when the copies arrive, the request queue delays new messages by 8 s for this
 * test (DelaySeconds): the copies are sent before any worker can even see the request (checked), so the worker's
 * answer comes after them.
 */
class DuplicateAnswerChaosTest {

    private static final int OTHER_CALLERS = 3;
    private static final int DELAY_S = 8;

    @Test
    void aDuplicatedAnswerReachesItsCallerOnceAndNoOtherCaller() throws Exception {
        ChaosStack chaos = ChaosStack.get();
        chaos.ensureWorkers(1);
        List<Path> images = chaos.images();
        Path targetImage = images.get(0);
        String inputBucket = chaos.cloud.resources().inputBucket();
        String responseQueueUrl = chaos.cloud.queueUrl(chaos.cloud.resources().responseQueuePrefix() + "-"
                + ChaosStack.WEB_INSTANCE);
        int jobsBefore = ChaosStack.JOBS.size();

        chaos.setRequestQueueAttribute(QueueAttributeName.DELAY_SECONDS, Integer.toString(DELAY_S));
        try {
            Set<String> uploadsBefore = uploads(chaos, inputBucket);
            long sent = System.nanoTime();
            CompletableFuture<HttpResponse<String>> target = ChaosStack.classify(chaos.stack.webUrl(), targetImage,
                    Duration.ofSeconds(60));
            // The web tier stores the upload as uploads/<id> before it queues the request: that names the caller's id.
            String[] id = new String[1];
            ChaosStack.await(() -> {
                Set<String> now = uploads(chaos, inputBucket);
                now.removeAll(uploadsBefore);
                if (now.size() == 1) {
                    id[0] = now.iterator().next().substring(Messages.UPLOAD_PREFIX.length());
                    return true;
                }
                return false;
            }, Duration.ofSeconds(20), "the target's upload");
            // Every call (the target's first) and the image it sent, for the tally.
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>(List.of(target));
            List<Path> sentImages = new ArrayList<>(List.of(targetImage));
            for (int i = 1; i <= OTHER_CALLERS; i++) {
                sentImages.add(images.get(i % images.size()));
                calls.add(ChaosStack.classify(chaos.stack.webUrl(), sentImages.get(i), Duration.ofSeconds(60)));
            }

            // The answer a worker gave for the same image, re-addressed to the waiting caller's id, sent twice.
            JsonNode ref = chaos.reference.get(targetImage);
            List<ClassificationResult.Prediction> top5 = new ArrayList<>();
            ref.path("top5").forEach(p -> top5.add(new ClassificationResult.Prediction(p.path("label").asText(),
                    p.path("probability").asDouble())));
            String answer = Messages.toJson(ClassificationResult.done(id[0], top5, "chaos-duplicate",
                    new ClassificationResult.Timings(0, 0, 0, 0, 0)));
            for (int copy = 0; copy < 2; copy++) {
                chaos.cloud.sqs().sendMessage(b -> b.queueUrl(responseQueueUrl).messageBody(answer));
            }
            long copiesSentMs = (System.nanoTime() - sent) / 1_000_000;
            assertTrue(copiesSentMs < TimeUnit.SECONDS.toMillis(DELAY_S), "copies sent only after " + copiesSentMs
                    + " ms: a worker may already have answered, so the caller was perhaps not waiting any more");

            HttpResponse<String> targetResponse = target.get(70, TimeUnit.SECONDS);
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(70, TimeUnit.SECONDS);
            // The worker's own (third) answer for the id arrives after the caller was completed, and is dropped too.
            ChaosStack.await(() -> ChaosStack.JOBS.since(jobsBefore).stream()
                    .anyMatch(j -> j.id().equals(id[0])), Duration.ofSeconds(60), "the worker's own answer");
            ChaosStack.await(() -> chaos.queueCount(chaos.cloud.resources().responseQueuePrefix() + "-"
                    + ChaosStack.WEB_INSTANCE, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES) == 0
                    && chaos.queueCount(chaos.cloud.resources().responseQueuePrefix() + "-" + ChaosStack.WEB_INSTANCE,
                    QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE) == 0,
                    Duration.ofSeconds(30), "response queue drained");

            int requests = 1 + OTHER_CALLERS;
            AnswerTally tally = AnswerTally.of(sentImages, calls, chaos.expected);
            System.out.println(tally.line("duplicate-answer"));
            System.out.printf("chaos-detail: duplicate-answer answers_for_target_id=3 (2 copies + the worker's) "
                    + "copies_sent_ms=%d request_delay_s=%d%n", copiesSentMs, DELAY_S);

            assertTrue(tally.problems().isEmpty(), tally.problems().toString());
            JsonNode targetBody = ChaosStack.json(targetResponse.body());
            assertEquals(id[0], targetBody.path("id").asText(), "the target caller got another id's answer");
            assertNotNull(targetBody.path("label").asText(null));
            assertEquals(requests, tally.answered());
            assertEquals(requests, tally.correct());
            assertEquals(0, tally.duplicates(), "a copy of the duplicated answer reached another caller");
            // Nobody else was completed with the duplicated answer: the others carry their own ids.
            assertEquals(requests, tally.ids().size());
            // The stack web's status: nobody left waiting.
            HttpResponse<String> status = ChaosStack.HTTP.send(java.net.http.HttpRequest.newBuilder(
                    chaos.stack.webManagementUrl().resolve("/api/v1/status")).GET().build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertEquals(0, ChaosStack.json(status.body()).path("pending").asInt(-1), status.body());
        } finally {
            chaos.setRequestQueueAttribute(QueueAttributeName.DELAY_SECONDS, "0");
        }
    }

    private static Set<String> uploads(ChaosStack chaos, String bucket) {
        return chaos.cloud.s3().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(Messages.UPLOAD_PREFIX)).contents().stream()
                .map(S3Object::key).collect(Collectors.toSet());
    }
}
