package io.github.elasticimage.classifier.model;

import io.github.elasticimage.classifier.config.ModelProperties;
import io.github.elasticimage.classifier.config.WorkerProperties;
import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.contract.Messages;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The CPU stage of a job: decoding, preprocessing and inference run on {@code WORKER_THREADS} threads (one Predictor
 * each), while the I/O of more jobs in flight (S3 and SQS calls) waits elsewhere. This keeps the cores busy with
 * inference instead of idle during network round trips.
 */
@Singleton
public class InferencePool {

    private static final Logger LOG = LoggerFactory.getLogger(InferencePool.class);

    private final ImageClassifier classifier;
    private final ExecutorService pool;
    private final CompletableFuture<Void> warm = new CompletableFuture<>();
    private final int warmupImages;
    private volatile long warmupMillis = -1;
    private List<byte[]> samples;

    public InferencePool(ImageClassifier classifier, WorkerProperties properties, ModelProperties model) {
        this.classifier = classifier;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(properties.threads(), r -> {
            Thread t = new Thread(r, "inference-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.warmupImages = model.warmupRuns();
        startWarmUp(properties.threads(), warmupImages);
    }

    /**
     * The JIT warm-up, begun here and finished in the background while the rest of the context starts: {@code images}
     * synthetic images classified through the whole CPU path (decode, preprocess, inference), shared among the
     * {@code threads} inference threads, each on its own thread so that every thread's Predictor is created and used
     * once. Until it is done the worker is not ready: {@code /health} answers 503 ({@link WarmupHealthIndicator}) and
     * the request poller takes no request ({@link #awaitWarm}). A warm-up that fails (the model cannot classify) stops
     * the worker, as a failed model load does. Its cost and what it saves the first burst: docs/performance.md.
     */
    private void startWarmUp(int threads, int images) {
        if (images <= 0) {
            warm.complete(null);
            return;
        }
        long started = System.nanoTime();
        int tasks = Math.min(threads, images);
        CountDownLatch allStarted = new CountDownLatch(tasks);
        List<CompletableFuture<Void>> results = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            int share = images / tasks + (t < images % tasks ? 1 : 0);
            results.add(CompletableFuture.runAsync(() -> {
                // Every task waits for the others: each holds its own pool thread, so all threads get warmed.
                allStarted.countDown();
                try {
                    allStarted.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted during the warm-up", e);
                }
                List<byte[]> samples = warmupSamples();
                for (int i = 0; i < share; i++) {
                    classifier.classify(samples.get(i % samples.size()), 5);
                }
            }, pool));
        }
        // The message contract's JSON mapper starts a small context of its own on first use: not on the first job.
        results.add(CompletableFuture.runAsync(InferencePool::warmUpContract));
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).whenComplete((ok, failure) -> {
            if (failure != null) {
                LOG.error("the warm-up failed, stopping the worker: {}", failure.toString(), failure);
                warm.completeExceptionally(failure);
                Thread stopper = new Thread(() -> System.exit(1), "warm-up-failed");
                stopper.start();
                return;
            }
            warmupMillis = (System.nanoTime() - started) / 1_000_000;
            LOG.info("warm-up: {} synthetic images on {} inference thread(s) in {} ms", images, tasks, warmupMillis);
            warm.complete(null);
        });
    }

    private static void warmUpContract() {
        String json = Messages.toJson(ClassificationRequest.of(UUID.randomUUID().toString(), "warm-up", "warm-up",
                null, "warm-up", 0));
        Messages.parseRequest(json);
        Messages.toJson(ClassificationResult.done("warm-up", List.of(new Prediction("warm-up", 1)), "warm-up",
                new ClassificationResult.Timings(0, 0, 0, 0, 0)));
    }

    /** The synthetic images, made once by the first warm-up task (off the thread that builds the context). */
    private synchronized List<byte[]> warmupSamples() {
        if (samples == null) {
            samples = WarmupImages.create();
        }
        return samples;
    }

    /** True once the warm-up is done (at once without one). */
    public boolean isWarm() {
        return warm.isDone() && !warm.isCompletedExceptionally();
    }

    /** Waits up to {@code timeout} for the warm-up; true if it is done. */
    public boolean awaitWarm(Duration timeout) throws InterruptedException {
        try {
            warm.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    /** Synthetic images of the warm-up ({@code MODEL_WARMUP_RUNS}). */
    public int warmupImages() {
        return warmupImages;
    }

    /** How long the warm-up took, or -1 while it runs. */
    public long warmupMillis() {
        return warmupMillis;
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
