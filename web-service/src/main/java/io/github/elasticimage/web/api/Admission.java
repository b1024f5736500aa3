package io.github.elasticimage.web.api;

import io.github.elasticimage.web.config.WebProperties;
import io.github.elasticimage.web.queue.PendingRequests;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.server.HttpServerConfiguration;
import jakarta.inject.Singleton;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who may send an upload to this instance now, the same rule for {@code /classify} and the asynchronous API: refused
 * (503 with {@code Retry-After}, before the body is read) while {@code MAX_PENDING} callers wait, or while the uploads
 * this instance holds in memory would exceed {@code MAX_UPLOAD_MEMORY} bytes. An admitted request holds a
 * {@link Permit} for its declared size ({@code Content-Length}; {@code MAX_UPLOAD_SIZE} when it sends none) from its
 * headers until its upload is stored, not while its caller waits for the answer: a waiting caller holds no upload.
 * {@link AdmissionFilter} takes the permit; the controllers give it back once the upload is stored.
 */
@Singleton
public class Admission {

    /** What refuses a request: each limit by the name of its setting. */
    public enum Limit {
        /** As many callers as {@code MAX_PENDING} wait for their answer. */
        MAX_PENDING,
        /** The uploads held in memory would exceed {@code MAX_UPLOAD_MEMORY} bytes. */
        MAX_UPLOAD_MEMORY
    }

    /** Request attribute holding the request's {@link Permit}. */
    static final String PERMIT = "elasticimage.admission-permit";

    private final PendingRequests pending;
    private final int maxPending;
    private final long maxUploadMemory;
    private final long maxRequestSize;
    private final AtomicLong held = new AtomicLong();

    public Admission(PendingRequests pending, WebProperties properties, HttpServerConfiguration server) {
        this.pending = pending;
        this.maxPending = properties.maxPending();
        this.maxUploadMemory = properties.maxUploadMemory();
        this.maxRequestSize = server.getMaxRequestSize();
        if (maxUploadMemory < maxRequestSize) {
            throw new IllegalStateException("MAX_UPLOAD_MEMORY (" + maxUploadMemory + " bytes) is smaller than "
                    + "MAX_UPLOAD_SIZE (" + maxRequestSize + " bytes): an upload of the largest accepted size could "
                    + "never be admitted; raise MAX_UPLOAD_MEMORY");
        }
    }

    /**
     * Admits a request that declares {@code contentLength} bytes (negative: unknown, counted as the largest accepted).
     *
     * @throws WebException.CapacityExceeded when the instance is full (callers or upload bytes)
     */
    Permit admit(long contentLength) {
        if (pending.size() >= maxPending) {
            throw new WebException.CapacityExceeded(maxPending);
        }
        long bytes = contentLength < 0 ? maxRequestSize : Math.min(contentLength, maxRequestSize);
        if (held.addAndGet(bytes) > maxUploadMemory) {
            held.addAndGet(-bytes);
            throw new WebException.CapacityExceeded(Limit.MAX_UPLOAD_MEMORY, "uploads in memory on this instance are "
                    + "at their limit (" + maxUploadMemory + " bytes, MAX_UPLOAD_MEMORY)");
        }
        return new Permit(bytes);
    }

    /** Gives back the request's permit, if it holds one (its upload is stored, refused or abandoned). */
    static void release(HttpRequest<?> request) {
        request.getAttribute(PERMIT, Permit.class).ifPresent(Permit::release);
    }

    /** Bytes of uploads admitted and not yet stored. */
    public long uploadBytesHeld() {
        return held.get();
    }

    /** An admitted request's share of {@code MAX_UPLOAD_MEMORY}; released once. */
    final class Permit {

        private final long bytes;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(long bytes) {
            this.bytes = bytes;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                held.addAndGet(-bytes);
            }
        }
    }
}
