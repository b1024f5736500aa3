package io.github.elasticimage.web.queue;

/**
 * What the queue layer fails with. It knows nothing of HTTP: the API layer ({@code ClassificationService}) decides
 * what a caller is told.
 */
public abstract class QueueException extends RuntimeException {

    protected QueueException(String message, Throwable cause) {
        super(message, cause);
    }

    /** This instance already holds as many waiting callers as it may ({@code app.web.max-pending}). */
    public static final class TooManyPending extends QueueException {

        private final int max;

        public TooManyPending(int max) {
            super(max + " callers already wait on this instance", null);
            this.max = max;
        }

        public int max() {
            return max;
        }
    }

    /** The queue service lost its state while a caller waited: its request or its answer is gone. */
    public static final class WorkLost extends QueueException {

        private final String requestId;

        public WorkLost(String requestId, Throwable cause) {
            super("the queue service lost request " + requestId, cause);
            this.requestId = requestId;
        }

        public String requestId() {
            return requestId;
        }
    }

    /** This web instance is stopping while the caller waits: its answer would reach no one. */
    public static final class Stopping extends QueueException {

        public Stopping(String requestId) {
            super("this web instance stopped while request " + requestId + " waited", null);
        }
    }
}
