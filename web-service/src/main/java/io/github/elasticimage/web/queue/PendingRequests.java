package io.github.elasticimage.web.queue;

import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.web.config.WebProperties;
import io.micronaut.runtime.graceful.GracefulShutdownCapable;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Callers of this instance waiting for their answer: request id -> future. Bounded by {@code app.web.max-pending}.
 * Each id is completed at most once, so a duplicate answer never reaches a caller twice. When the instance stops
 * (graceful shutdown, before the HTTP server closes its connections), every waiting caller is answered at once
 * ({@link QueueException.Stopping}: 503, retry) instead of losing its connection.
 */
@Singleton
public class PendingRequests implements GracefulShutdownCapable {

    private static final Logger LOG = LoggerFactory.getLogger(PendingRequests.class);

    private final Map<String, CompletableFuture<ClassificationResult>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int max;

    public PendingRequests(WebProperties properties) {
        this.max = properties.maxPending();
    }

    /**
     * Registers a caller.
     *
     * @throws QueueException.TooManyPending when this instance already holds {@code max-pending} callers
     */
    public CompletableFuture<ClassificationResult> register(String id) {
        if (size.incrementAndGet() > max) {
            size.decrementAndGet();
            throw new QueueException.TooManyPending(max);
        }
        CompletableFuture<ClassificationResult> future = new CompletableFuture<>();
        pending.put(id, future);
        return future;
    }

    /** Completes the caller waiting for {@code result.id()}; false when nobody waits (late or duplicate answer). */
    public boolean complete(ClassificationResult result) {
        CompletableFuture<ClassificationResult> future = pending.remove(result.id());
        if (future == null) {
            return false;
        }
        size.decrementAndGet();
        return future.complete(result);
    }

    /**
     * Fails every waiting caller at once, e.g. when the queue service lost its messages: their requests or answers are
     * gone, so waiting for them would only end in a timeout.
     *
     * @return how many callers were failed
     */
    public int failAll(java.util.function.Function<String, ? extends Throwable> error) {
        int failed = 0;
        for (String id : java.util.List.copyOf(pending.keySet())) {
            CompletableFuture<ClassificationResult> future = pending.remove(id);
            if (future != null) {
                size.decrementAndGet();
                if (future.completeExceptionally(error.apply(id))) {
                    failed++;
                }
            }
        }
        return failed;
    }

    /** Forgets a caller (timed out, or its request could not be queued). */
    public void remove(String id) {
        if (pending.remove(id) != null) {
            size.decrementAndGet();
        }
    }

    @Override
    public CompletionStage<?> shutdownGracefully() {
        int failed = failAll(QueueException.Stopping::new);
        if (failed > 0) {
            LOG.warn("stopping: {} waiting caller(s) answered 503", failed);
        }
        return CompletableFuture.completedFuture(null);
    }

    public int size() {
        return size.get();
    }
}
