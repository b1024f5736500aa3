package io.github.elasticimage.loadtest;

/**
 * The outcome of one request. Times are nanoseconds after the shared start moment: {@code sentNanos} when this request
 * was first handed to the HTTP client, {@code endNanos} when its last answer (or error) arrived, after any retries.
 * Latency is counted from the start moment, not from the send, so time spent waiting for a free slot is not hidden
 * (wrk2's coordinated omission); a retried request's waits and earlier attempts are in it too (the caller's view).
 *
 * @param status   HTTP status, or 0 when there was no HTTP answer
 * @param error    null on success, else the error kind: {@code http_<status>}, {@code timeout}, {@code connection},
 *                 {@code io}
 * @param detail   the label (success) or the error message (failure)
 * @param expected the label the image should get, or null when unchecked
 * @param attempts   times the request was sent: 1, or more when it was retried after 503/429 with Retry-After
 * @param seen503    503 answers among its attempts
 * @param pushedBack whether its last answer still asked to retry (503/429 with Retry-After), the retry bounds reached
 */
public record RequestResult(int index, String file, long sentNanos, long endNanos, int status, String error,
                            String label, String detail, String expected, int attempts, int seen503,
                            boolean pushedBack) {

    /** A request sent once. */
    public RequestResult(int index, String file, long sentNanos, long endNanos, int status, String error,
                         String label, String detail, String expected) {
        this(index, file, sentNanos, endNanos, status, error, label, detail, expected, 1, status == 503 ? 1 : 0,
                false);
    }

    public RequestResult withAttempts(int attempts, int seen503, boolean pushedBack) {
        return new RequestResult(index, file, sentNanos, endNanos, status, error, label, detail, expected, attempts,
                seen503, pushedBack);
    }

    public int retries() {
        return attempts - 1;
    }

    public boolean ok() {
        return error == null;
    }

    public boolean checked() {
        return expected != null;
    }

    /** Whether a checked request succeeded with the expected label. */
    public boolean correct() {
        return ok() && expected != null && expected.equals(label);
    }

    public long latencyNanos() {
        return endNanos;
    }

    public long serviceNanos() {
        return endNanos - sentNanos;
    }
}
