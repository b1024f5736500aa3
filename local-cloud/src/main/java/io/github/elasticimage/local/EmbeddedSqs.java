package io.github.elasticimage.local;

import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

import java.net.URI;

/** A real SQS-compatible server (ElasticMQ) bound to a loopback address, in this JVM. */
public final class EmbeddedSqs implements AutoCloseable {

    private final SQSRestServer server;
    private final URI endpoint;

    private EmbeddedSqs(SQSRestServer server, URI endpoint) {
        this.server = server;
        this.endpoint = endpoint;
    }

    public static EmbeddedSqs start(String host, int port) {
        SQSRestServer server = SQSRestServerBuilder
                .withInterface(host)
                .withPort(port)
                .withAWSRegion(LocalCloud.REGION)
                .start();
        server.waitUntilStarted();
        return new EmbeddedSqs(server, URI.create("http://" + host + ":" + port));
    }

    public URI endpoint() {
        return endpoint;
    }

    /**
     * Stops the server, waiting at most 3 s: a client's long poll still open (e.g. a response queue's) would otherwise
     * hold the stop for its whole wait time.
     */
    @Override
    public void close() {
        try {
            scala.concurrent.Await.ready(server.stopAndGetFuture().apply(),
                    scala.concurrent.duration.Duration.create(3, java.util.concurrent.TimeUnit.SECONDS));
        } catch (Exception e) {
            // Timed out or interrupted: the JVM (or the test run) ends anyway; nothing is persisted.
        }
    }
}
