package io.github.elasticimage.classifier.model;

import io.github.elasticimage.classifier.config.WorkerProperties;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The CPU stage of a job: decoding, preprocessing and inference run on {@code WORKER_THREADS} threads (one Predictor
 * each), while the I/O of more jobs in flight (S3 and SQS calls) waits elsewhere. This keeps the cores busy with
 * inference instead of idle during network round trips.
 */
@Singleton
public class InferencePool {

    private final ImageClassifier classifier;
    private final ExecutorService pool;

    public InferencePool(ImageClassifier classifier, WorkerProperties properties) {
        this.classifier = classifier;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(properties.threads(), r -> {
            Thread t = new Thread(r, "inference-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** {@link ImageClassifier#classify} on an inference thread; the caller waits. */
    public ImageClassifier.Classification classify(byte[] image, int k) throws InterruptedException {
        Future<ImageClassifier.Classification> result = pool.submit(() -> classifier.classify(image, k));
        try {
            return result.get();
        } catch (InterruptedException e) {
            // The job was abandoned or the worker stops: free the inference thread too if the classifier lets it go.
            result.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("classification failed", e.getCause());
        }
    }

    @PreDestroy
    void close() throws InterruptedException {
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.SECONDS);
    }
}
