package io.github.elasticimage.local;

import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

import java.net.URI;

/**
 * A real SQS-compatible server (ElasticMQ) bound to a loopback address, in this JVM. A stop waits at most 3 s: a
 * client's long poll still open (e.g. a response queue's) would otherwise hold it for its whole wait time. ElasticMQ
 * keeps queues and messages in memory, so a restart starts empty: the caller recreates the queues
 * ({@link LocalAwsServers#restartSqs()}).
 */
public final class EmbeddedSqs extends RestartableServer<SQSRestServer> {

    private final String host;
    private final int port;

    private EmbeddedSqs(String host, int port, SQSRestServer server) {
        super("ElasticMQ", URI.create("http://" + host + ":" + port), server);
        this.host = host;
        this.port = port;
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

    @Override
    protected SQSRestServer startServer() {
        return startServer(host, port);
    }

    @Override
    protected void stopServer(SQSRestServer server) {
        try {
            scala.concurrent.Await.ready(server.stopAndGetFuture().apply(),
                    scala.concurrent.duration.Duration.create(3, java.util.concurrent.TimeUnit.SECONDS));
        } catch (Exception e) {
            // Timed out or interrupted: the JVM (or the test run) ends anyway; nothing is persisted.
        }
    }
}
