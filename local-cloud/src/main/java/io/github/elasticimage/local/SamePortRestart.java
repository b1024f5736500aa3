package io.github.elasticimage.local;

import java.net.URI;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Starts an embedded server again on the address it has just left (chaos tests: an outage and its end). The old
 * binding can take a moment to be released, so a failed start is retried every 200 ms for up to 15 s.
 */
final class SamePortRestart {

    static final Duration PATIENCE = Duration.ofSeconds(15);
    private static final long RETRY_MS = 200;

    private SamePortRestart() {
    }

    /**
     * @param server   what is started, for the error
     * @param endpoint where it listens, for the error
     * @param start    starts the server and answers it once it runs; throws while the port is still taken
     */
    static <T> T start(String server, URI endpoint, Supplier<T> start) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            try {
                return start.get();
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot restart " + server + " on " + endpoint, e);
                }
                try {
                    Thread.sleep(RETRY_MS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while restarting " + server, ie);
                }
            }
        }
    }
}
