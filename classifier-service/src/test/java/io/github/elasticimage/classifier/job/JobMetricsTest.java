package io.github.elasticimage.classifier.job;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.model.Message;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker (real model) against real SQS and S3 servers exposes its job metrics at {@code /prometheus}: after one
 * good and one undecodable image, the outcome counters and the stage histograms have counted them.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobMetricsTest implements TestPropertyProvider {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private final String replyQueue = CLOUD.sqs().createQueue(b -> b.queueName(
            CLOUD.resources().responseQueuePrefix() + "-job-metrics-test")).queueUrl();

    @Inject
    EmbeddedServer server;

    @Override
    public Map<String, String> getProperties() {
        return new HashMap<>(CLOUD.serviceProperties());
    }

    @Test
    void prometheusCountsJobsByOutcomeAndTimesEachStage() throws Exception {
        Map<String, ClassificationResult> answers = new HashMap<>();
        String good = submit(Path.of(System.getProperty("samples.dir"), "coffee.png"));
        String bad = submit(Path.of(System.getProperty("samples.dir"), "truncated.jpg"));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (Message m : CLOUD.sqs().receiveMessage(b -> b.queueUrl(replyQueue).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages()) {
                ClassificationResult result = Messages.parseResult(m.body());
                answers.put(result.id(), result);
                CLOUD.sqs().deleteMessage(b -> b.queueUrl(replyQueue).receiptHandle(m.receiptHandle()));
            }
            return answers.containsKey(good) && answers.containsKey(bad);
        });
        assertEquals("espresso", answers.get(good).label());
        assertEquals(ClassificationResult.ErrorCode.UNDECODABLE_IMAGE, answers.get(bad).errorCode());

        String text = scrape();
        assertTrue(value(text, "classifier_jobs_total{outcome=\"done\"}") >= 1, "done counted");
        assertTrue(value(text, "classifier_jobs_total{outcome=\"undecodable_image\"}") >= 1, "failure counted");
        assertEquals(0.0, value(text, "classifier_jobs_total{outcome=\"input_missing\"}"), "other outcomes at zero");
        for (String stage : List.of("queue_wait", "download", "upload")) {
            assertTrue(value(text, "classifier_" + stage + "_seconds_count") >= 2, stage + " timed for both jobs");
        }
        for (String stage : List.of("preprocess", "inference")) {
            assertTrue(value(text, "classifier_" + stage + "_seconds_count") >= 1, stage + " timed");
            assertTrue(value(text, "classifier_" + stage + "_seconds_sum") > 0, stage + " took some time");
        }
        assertTrue(text.contains("classifier_inference_seconds_bucket{le="), "inference latency histogram buckets");
    }

    private String submit(Path image) throws IOException {
        String id = UUID.randomUUID().toString();
        String key = Messages.uploadKey(id);
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().inputBucket()).key(key),
                RequestBody.fromBytes(Files.readAllBytes(image)));
        String url = CLOUD.queueUrl(CLOUD.resources().requestQueue());
        CLOUD.sqs().sendMessage(b -> b.queueUrl(url).messageBody(Messages.toJson(ClassificationRequest.of(id,
                CLOUD.resources().inputBucket(), key, image.getFileName().toString(), replyQueue,
                System.currentTimeMillis()))));
        return id;
    }

    private String scrape() throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(server.getURL() + "/prometheus")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    /** The sample value of one series ({@code name{labels}} exactly as exposed); fails when absent. */
    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), () -> series + " not exposed:\n" + text.lines()
                .filter(l -> l.startsWith("classifier_")).filter(l -> !l.contains("_bucket")).toList());
        return Double.parseDouble(m.group(1));
    }
}
