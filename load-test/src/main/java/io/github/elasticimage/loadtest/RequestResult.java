package io.github.elasticimage.loadtest;

/**
 * The outcome of one request. Times are nanoseconds after the shared start moment: {@code sentNanos} when this request
 * was handed to the HTTP client, {@code endNanos} when its answer (or error) arrived. Latency is counted from the start
 * moment, not from the send, so time spent waiting for a free slot is not hidden (wrk2's coordinated omission).
 *
 * @param status   HTTP status, or 0 when there was no HTTP answer
 * @param error    null on success, else the error kind: {@code http_<status>}, {@code timeout}, {@code connection},
 *                 {@code io}
 * @param detail   the label (success) or the error message (failure)
 * @param expected the label the image should get, or null when unchecked
 */
public record RequestResult(int index, String file, long sentNanos, long endNanos, int status, String error,
                            String label, String detail, String expected) {

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
