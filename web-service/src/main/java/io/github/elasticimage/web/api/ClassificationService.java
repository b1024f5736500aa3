package io.github.elasticimage.web.api;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.web.config.WebProperties;
import io.github.elasticimage.web.queue.JobQueue;
import io.github.elasticimage.web.queue.PendingRequests;
import io.github.elasticimage.web.queue.QueueException;
import io.github.elasticimage.web.queue.ResponseQueue;
import io.github.elasticimage.web.storage.IdempotencyStore;
import io.github.elasticimage.web.storage.ImageStore;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The web tier's one job: store the upload, queue a request naming this instance's response queue, and complete the
 * caller's future when the matching answer arrives (or fail it on timeout). A request with an {@code Idempotency-Key}
 * already used (with the same API key, on any instance) is not classified again: it gets the first request's id, and a
 * synchronous caller waits for that request's stored result.
 */
@Singleton
public class ClassificationService {

    private static final Logger LOG = LoggerFactory.getLogger(ClassificationService.class);

    private final ImageStore store;
    private final JobQueue jobs;
    private final ResponseQueue responses;
    private final PendingRequests pending;
    private final WebProperties properties;
    private final IdempotencyStore idempotency;
    /** Polls the output bucket for the result of a request that a retry (same Idempotency-Key) waits for. */
    private final ScheduledExecutorService resultPoller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "idempotent-result-poller");
        thread.setDaemon(true);
        return thread;
    });

    public ClassificationService(ImageStore store, JobQueue jobs, ResponseQueue responses, PendingRequests pending,
                                 WebProperties properties, IdempotencyStore idempotency) {
        this.idempotency = idempotency;
        this.store = store;
        this.jobs = jobs;
        this.responses = responses;
        this.pending = pending;
        this.properties = properties;
    }

    /**
     * Submits an image and waits for its answer: the future completes with a DONE result, or exceptionally with a
     * {@link WebException} (failed classification, timeout).
     */
    public CompletableFuture<ClassificationResult> classify(byte[] image, String contentType, String fileName,
                                                            @Nullable String owner, @Nullable String idempotencyKey) {
        String id = UUID.randomUUID().toString();
        long started = System.nanoTime();
        CompletableFuture<ClassificationResult> answer;
        try {
            answer = pending.register(id);
        } catch (QueueException.TooManyPending e) {
            throw new WebException.CapacityExceeded(e.max());
        }
        try {
            String first = claim(id, image, owner, idempotencyKey);
            if (!first.equals(id)) {
                pending.remove(id);
                LOG.info("classify id={} file={}: a retry (Idempotency-Key), waiting for the first request's result",
                        first, fileName);
                return storedResult(first, owner);
            }
            enqueue(id, image, contentType, fileName, owner, idempotencyKey);
        } catch (RuntimeException e) {
            pending.remove(id);
            throw e;
        }
        long timeoutSeconds = properties.resultTimeout().toSeconds();
        return answer
                .orTimeout(properties.resultTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle((result, error) -> {
                    long ms = (System.nanoTime() - started) / 1_000_000;
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                        pending.remove(id);
                        if (cause instanceof TimeoutException) {
                            throw new WebException.ResultTimeout(id, timeoutSeconds);
                        }
                        if (cause instanceof QueueException.WorkLost lost) {
                            throw new WebException.BackendUnavailable("request queue", id, lost.getCause());
                        }
                        if (cause instanceof QueueException.Stopping) {
                            throw new WebException.Stopping(id);
                        }
                        throw new CompletionException(cause);
                    }
                    if (!result.isDone()) {
                        LOG.info("classify id={} file={} failed in {} ms: {} {}", id, fileName, ms, result.errorCode(),
                                result.error());
                        throw failure(result);
                    }
                    LOG.info("classify id={} file={} label=\"{}\" p={} total_ms={} worker_ms={} worker={}", id, fileName,
                            result.label(), String.format("%.3f", result.confidence()), ms,
                            result.timings() == null ? -1 : result.timings().totalMs(), result.worker());
                    return result;
                });
    }

    /** Submits an image without waiting; its result appears in the output bucket under the returned id. */
    public String submit(byte[] image, String contentType, String fileName, @Nullable String owner,
                         @Nullable String idempotencyKey) {
        String id = UUID.randomUUID().toString();
        String first = claim(id, image, owner, idempotencyKey);
        if (!first.equals(id)) {
            LOG.info("submit id={} file={}: a retry (Idempotency-Key), not queued again", first, fileName);
            return first;
        }
        enqueue(id, image, contentType, fileName, owner, idempotencyKey);
        LOG.info("submit id={} file={} (asynchronous)", id, fileName);
        return id;
    }

    /**
     * The stored outcome of a request, if any: a result, or empty while it is pending or unknown. With API keys on
     * ({@code owner} not null), a result submitted with another key (or with none) is unknown to this caller.
     */
    public Optional<ClassificationResult> result(String id, @Nullable String owner) {
        try {
            return store.result(id).filter(stored -> visible(stored, owner)).map(ImageStore.Owned::value);
        } catch (RuntimeException e) {
            throw new WebException.BackendUnavailable("result storage", id, e);
        }
    }

    /** Whether an upload with this id exists (the request was accepted) and, with keys on, was sent with this key. */
    public boolean accepted(String id, @Nullable String owner) {
        try {
            return store.upload(id).filter(stored -> visible(stored, owner)).isPresent();
        } catch (RuntimeException e) {
            throw new WebException.BackendUnavailable("image storage", id, e);
        }
    }

    /** Keys off: everything is visible. Keys on: only what was stored with the caller's key's tag. */
    private static boolean visible(ImageStore.Owned<?> stored, @Nullable String owner) {
        return owner == null || stored.owner() != null && MessageDigest.isEqual(
                owner.getBytes(StandardCharsets.UTF_8), stored.owner().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The request id an {@code Idempotency-Key} stands for: {@code id} when there is no key or this request is its
     * first use, else the first request's id (after checking that the image is the same).
     */
    private String claim(String id, byte[] image, @Nullable String owner, @Nullable String idempotencyKey) {
        if (idempotencyKey == null) {
            return id;
        }
        IdempotencyStore.Claim mine = new IdempotencyStore.Claim(id, sha256(image));
        IdempotencyStore.Claim first;
        try {
            first = idempotency.claim(owner, idempotencyKey, mine);
        } catch (RuntimeException e) {
            throw new WebException.BackendUnavailable("result storage", id, e);
        }
        if (!first.imageSha256().equals(mine.imageSha256())) {
            throw new WebException.IdempotencyKeyReused(first.id());
        }
        return first.id();
    }

    /**
     * The stored outcome of an earlier request, polled from the output bucket (its answer goes to the instance that
     * queued it): a DONE result, or exceptionally a {@link WebException} (failed classification, timeout).
     */
    private CompletableFuture<ClassificationResult> storedResult(String id, @Nullable String owner) {
        CompletableFuture<ClassificationResult> future = new CompletableFuture<>();
        long deadline = System.nanoTime() + properties.resultTimeout().toNanos();
        Runnable poll = new Runnable() {
            @Override
            public void run() {
                try {
                    Optional<ClassificationResult> result = result(id, owner);
                    if (result.isPresent()) {
                        if (result.get().isDone()) {
                            future.complete(result.get());
                        } else {
                            future.completeExceptionally(failure(result.get()));
                        }
                    } else if (System.nanoTime() > deadline) {
                        future.completeExceptionally(new WebException.ResultTimeout(id,
                                properties.resultTimeout().toSeconds()));
                    } else {
                        resultPoller.schedule(this, 500, TimeUnit.MILLISECONDS);
                    }
                } catch (RuntimeException e) {
                    future.completeExceptionally(e);
                }
            }
        };
        poll.run();
        return future;
    }

    private void enqueue(String id, byte[] image, String contentType, String fileName, @Nullable String owner,
                         @Nullable String idempotencyKey) {
        ImageStore.StoredImage stored;
        try {
            stored = store.put(id, image, contentType, owner);
        } catch (RuntimeException e) {
            forgetQuietly(owner, idempotencyKey);
            throw new WebException.BackendUnavailable("image storage", id, e);
        }
        try {
            jobs.send(ClassificationRequest.of(id, stored.bucket(), stored.key(), fileName, responses.url(),
                    System.currentTimeMillis(), owner));
        } catch (RuntimeException e) {
            deleteQuietly(stored);
            forgetQuietly(owner, idempotencyKey);
            throw new WebException.BackendUnavailable("request queue", id, e);
        }
    }

    /** A request that was not queued releases its Idempotency-Key, so that a retry is classified. */
    private void forgetQuietly(@Nullable String owner, @Nullable String idempotencyKey) {
        if (idempotencyKey == null) {
            return;
        }
        try {
            idempotency.forget(owner, idempotencyKey);
        } catch (RuntimeException e) {
            LOG.warn("could not release an Idempotency-Key (a retry with it waits for a request that was never "
                    + "queued, until RESULT_TIMEOUT): {}", e.toString());
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @PreDestroy
    void stopPolling() {
        resultPoller.shutdownNow();
    }

    private static WebException failure(ClassificationResult result) {
        HttpStatus status = switch (result.errorCode() == null ? ClassificationResult.ErrorCode.INTERNAL
                : result.errorCode()) {
            case UNDECODABLE_IMAGE, IMAGE_TOO_LARGE -> HttpStatus.UNPROCESSABLE_ENTITY;
            case INPUT_MISSING, DEAD_LETTERED, INTERNAL -> HttpStatus.BAD_GATEWAY;
        };
        return new WebException.ClassificationFailed(status, result.error() == null ? "classification failed"
                : result.error(), result.id());
    }

    private void deleteQuietly(ImageStore.StoredImage stored) {
        try {
            store.delete(stored);
        } catch (RuntimeException e) {
            LOG.warn("could not delete orphaned upload {}/{}: {}", stored.bucket(), stored.key(), e.toString());
        }
    }
}
