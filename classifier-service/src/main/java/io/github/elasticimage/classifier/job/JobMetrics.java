package io.github.elasticimage.classifier.job;

import io.github.elasticimage.classifier.model.ImageClassifier;
import io.github.elasticimage.contract.ClassificationResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A worker's metrics, recorded by {@link JobProcessor}. In Prometheus form (docs/metrics.md):
 * {@code classifier_queue_wait_seconds}, {@code classifier_download_seconds}, {@code classifier_preprocess_seconds},
 * {@code classifier_inference_seconds}, {@code classifier_upload_seconds} (histograms) and
 * {@code classifier_jobs_total{outcome}} with outcome {@code done}, a failure code in lower case
 * ({@code undecodable_image}, {@code image_too_large}, {@code input_missing}, {@code internal}), {@code malformed} or
 * {@code rejected} (a well-formed request asking for what this deployment does not allow, {@link RequestGuard}).
 */
@Singleton
public class JobMetrics {

    static final String DONE = "done";
    static final String MALFORMED = "malformed";
    static final String REJECTED = "rejected";

    private final Timer queueWait;
    private final Timer download;
    private final Timer preprocess;
    private final Timer inference;
    private final Timer upload;
    private final Counter done;
    private final Counter malformed;
    private final Counter rejected;
    private final Map<ClassificationResult.ErrorCode, Counter> failed =
            new EnumMap<>(ClassificationResult.ErrorCode.class);

    public JobMetrics(MeterRegistry registry) {
        queueWait = timer(registry, "classifier.queue.wait", "Time from the web tier's submit to this worker's "
                + "start on the request", Duration.ofMillis(1), Duration.ofMinutes(5));
        download = timer(registry, "classifier.download", "Time to fetch the image from the input bucket",
                Duration.ofMillis(1), Duration.ofSeconds(30));
        preprocess = timer(registry, "classifier.preprocess", "Time to decode, resize, crop and normalise the image",
                Duration.ofMillis(1), Duration.ofSeconds(30));
        inference = timer(registry, "classifier.inference", "Time the model takes for one image",
                Duration.ofMillis(1), Duration.ofSeconds(30));
        upload = timer(registry, "classifier.upload", "Time to store the result document in the output bucket",
                Duration.ofMillis(1), Duration.ofSeconds(30));
        done = jobs(registry, DONE);
        malformed = jobs(registry, MALFORMED);
        rejected = jobs(registry, REJECTED);
        for (ClassificationResult.ErrorCode code : ClassificationResult.ErrorCode.values()) {
            if (code != ClassificationResult.ErrorCode.DEAD_LETTERED) { // the web tier's, never a worker's answer
                failed.put(code, jobs(registry, code.name().toLowerCase(Locale.ROOT)));
            }
        }
    }

    private static Timer timer(MeterRegistry registry, String name, String description, Duration min, Duration max) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(min).maximumExpectedValue(max).register(registry);
    }

    private static Counter jobs(MeterRegistry registry, String outcome) {
        return Counter.builder("classifier.jobs").description("Requests handled, by outcome")
                .tag("outcome", outcome).register(registry);
    }

    /** How long the request waited between the web tier's submit and now. */
    public void queueWait(long millis) {
        queueWait.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    public void download(long nanos) {
        download.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Preprocessing and inference time of one classification. */
    public void classified(ImageClassifier.Classification classification) {
        preprocess.record(classification.preprocessNanos(), TimeUnit.NANOSECONDS);
        inference.record(classification.inferenceNanos(), TimeUnit.NANOSECONDS);
    }

    public void upload(long nanos) {
        upload.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Counts a request answered, done or failed. */
    public void answered(ClassificationResult result) {
        if (result.isDone()) {
            done.increment();
        } else {
            failed.getOrDefault(result.errorCode(), failed.get(ClassificationResult.ErrorCode.INTERNAL)).increment();
        }
    }

    /** Counts a message that breaks the contract (left for the dead-letter queue). */
    public void malformed() {
        malformed.increment();
    }

    /** Counts a request refused by {@link RequestGuard} (moved to the dead-letter queue unprocessed). */
    public void rejected() {
        rejected.increment();
    }
}
