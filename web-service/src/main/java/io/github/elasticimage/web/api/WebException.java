package io.github.elasticimage.web.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;

/**
 * Everything the web tier refuses or fails with, each kind carrying its HTTP status. {@link ApiExceptionHandler} turns
 * them into the JSON error body.
 */
public abstract class WebException extends RuntimeException {

    private final HttpStatus status;
    private final String requestId;

    protected WebException(HttpStatus status, String message, @Nullable String requestId, @Nullable Throwable cause) {
        super(message, cause);
        this.status = status;
        this.requestId = requestId;
    }

    public HttpStatus status() {
        return status;
    }

    @Nullable
    public String requestId() {
        return requestId;
    }

    /** The request itself is wrong (400). */
    public static final class BadRequest extends WebException {
        public BadRequest(String message) {
            super(HttpStatus.BAD_REQUEST, message, null, null);
        }
    }

    /** An {@code Idempotency-Key} was used before with another image (422). */
    public static final class IdempotencyKeyReused extends WebException {
        public IdempotencyKeyReused(String requestId) {
            super(HttpStatus.UNPROCESSABLE_ENTITY, "this Idempotency-Key was used for another image (request "
                    + requestId + "); use a new key for a new image", requestId, null);
        }
    }

    /** No accepted API key (401 with {@code WWW-Authenticate: Bearer}); the message never contains the key. */
    public static final class Unauthorized extends WebException {
        public Unauthorized(String message) {
            super(HttpStatus.UNAUTHORIZED, message, null, null);
        }
    }

    /** No such resource (404). */
    public static final class NotFound extends WebException {
        public NotFound(String message) {
            super(HttpStatus.NOT_FOUND, message, null, null);
        }
    }

    /** The upload is not an image we accept: wrong format (415), damaged or too large (422), and so on. */
    public static final class Refused extends WebException {
        public Refused(HttpStatus status, String message) {
            super(status, message, null, null);
        }
    }

    /**
     * This instance already holds as many waiting callers, or as many upload bytes, as it may (503 with Retry-After;
     * {@link Admission}).
     */
    public static final class CapacityExceeded extends WebException {
        private final Admission.Limit limit;

        /** {@code MAX_PENDING} callers wait already. */
        public CapacityExceeded(int max) {
            this(Admission.Limit.MAX_PENDING, "too many requests in progress on this instance (limit " + max + ")");
        }

        public CapacityExceeded(Admission.Limit limit, String what) {
            super(HttpStatus.SERVICE_UNAVAILABLE, what + "; retry later", null, null);
            this.limit = limit;
        }

        /** The limit that refused the request. */
        public Admission.Limit limit() {
            return limit;
        }
    }

    /** The queue or the bucket could not be reached (503). */
    public static final class BackendUnavailable extends WebException {
        public BackendUnavailable(String what, String requestId, Throwable cause) {
            super(HttpStatus.SERVICE_UNAVAILABLE, what + " is unavailable; retry later", requestId, cause);
        }
    }

    /** This web instance stopped while the caller waited (503 with Retry-After): another instance can take it. */
    public static final class Stopping extends WebException {
        public Stopping(String requestId) {
            super(HttpStatus.SERVICE_UNAVAILABLE, "this web instance is stopping; retry (the request id may still get a"
                    + " result)", requestId, null);
        }
    }

    /** No worker answered in time (504); the result may still appear under the request id. */
    public static final class ResultTimeout extends WebException {
        public ResultTimeout(String requestId, long seconds) {
            super(HttpStatus.GATEWAY_TIMEOUT, "no answer from the classifier tier within " + seconds + " s", requestId,
                    null);
        }
    }

    /** A worker answered with a failure: the image cannot be classified (422) or the worker failed (502). */
    public static final class ClassificationFailed extends WebException {
        public ClassificationFailed(HttpStatus status, String message, String requestId) {
            super(status, message, requestId, null);
        }
    }
}
