package io.github.elasticimage.local;

import java.net.URI;
import java.time.Duration;

/**
 * An embedded server that can be stopped and started again on the address it has just left (chaos tests: an outage
 * and its end). The old binding can take a moment to be released, so a restart retries a failed start every 200 ms for
 * up to 15 s.
 *
 * @param <S> the running server
 */
abstract class RestartableServer<S> implements AutoCloseable {

    static final Duration RESTART_PATIENCE = Duration.ofSeconds(15);
    private static final long RETRY_MS = 200;

    private final String name;
    private final URI endpoint;
    /** The running server, null while stopped ({@link #stop()}). */
    private S server;

    /**
     * @param name     what the errors call it
     * @param endpoint where it listens
     * @param running  the server, already started by {@link #startServer()}
     */
    RestartableServer(String name, URI endpoint, S running) {
        this.name = name;
        this.endpoint = endpoint;
        this.server = running;
    }

    /** Starts the server and answers it once it runs; throws while the port is still taken. */
    protected abstract S startServer();

    /** Stops a running server. */
    protected abstract void stopServer(S running);

    public URI endpoint() {
        return endpoint;
    }

    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            stopServer(server);
        } finally {
            server = null;
        }
    }

    /** Starts a stopped server again on the same address and port. */
    public synchronized void restart() {
        stop();
        long deadline = System.nanoTime() + RESTART_PATIENCE.toNanos();
        while (true) {
            try {
                server = startServer();
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot restart " + name + " on " + endpoint, e);
                }
                try {
                    Thread.sleep(RETRY_MS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while restarting " + name, ie);
                }
            }
        }
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    @Override
    public void close() {
        stop();
    }
}
