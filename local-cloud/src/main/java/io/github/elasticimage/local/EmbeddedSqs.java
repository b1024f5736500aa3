package io.github.elasticimage.local;

import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

import java.net.URI;

/** A real SQS-compatible server (ElasticMQ) bound to a loopback address, in this JVM. */
public final class EmbeddedSqs implements AutoCloseable {

    private final String host;
    private final int port;
    private final URI endpoint;
    /** The running server, null while stopped ({@link #stop()}). */
    private SQSRestServer server;

    private EmbeddedSqs(String host, int port, SQSRestServer server) {
        this.host = host;
        this.port = port;
        this.server = server;
        this.endpoint = URI.create("http://" + host + ":" + port);
    }

    public static EmbeddedSqs start(String host, int port) {
        return new EmbeddedSqs(host, port, startServer(host, port));
    }

    private static SQSRestServer startServer(String host, int port) {
        SQSRestServer server = SQSRestServerBuilder
                .withInterface(host)
                .withPort(port)
                .withAWSRegion(LocalAwsServers.REGION)
                .start();
        server.waitUntilStarted();
        return server;
    }

    public URI endpoint() {
        return endpoint;
    }

    /**
     * Stops the server, waiting at most 3 s: a client's long poll still open (e.g. a response queue's) would otherwise
     * hold the stop for its whole wait time. ElasticMQ keeps queues and messages in memory, so they are gone.
     */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            scala.concurrent.Await.ready(server.stopAndGetFuture().apply(),
                    scala.concurrent.duration.Duration.create(3, java.util.concurrent.TimeUnit.SECONDS));
        } catch (Exception e) {
            // Timed out or interrupted: the JVM (or the test run) ends anyway; nothing is persisted.
        } finally {
            server = null;
        }
    }

    /**
     * Starts a stopped server again on the same address and port (chaos tests: an SQS outage). It starts empty: the
     * caller recreates the queues ({@link LocalAwsServers#restartSqs()}). Retries for up to 15 s while the old binding
     * is still being released
     * ({@link SamePortRestart}).
     */
    public synchronized void restart() {
        stop();
        server = SamePortRestart.start("ElasticMQ", endpoint, () -> startServer(host, port));
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    @Override
    public void close() {
        stop();
    }
}
