package io.github.elasticimage.local;

import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;
import org.elasticmq.StrictSQSLimits$;
import org.elasticmq.actor.QueueManagerActor;
import org.elasticmq.actor.queue.QueueEvent;
import org.elasticmq.persistence.sql.SqlQueuePersistenceActor;
import org.elasticmq.persistence.sql.SqlQueuePersistenceConfig;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.elasticmq.util.NowProvider;
import scala.Option;
import scala.util.Either;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real SQS-compatible server (ElasticMQ) bound to a loopback address, in this JVM. A stop waits at most 3 s: a
 * client's long poll still open (e.g. a response queue's) would otherwise hold it for its whole wait time.
 *
 * <p>In memory ({@code dataDir == null}, the tests' default) a restart starts empty: the caller recreates the queues
 * ({@link LocalAwsServers#restartSqs()}). Persistent (a data folder, {@code make run}'s default) it is ElasticMQ's
 * SQL persistence with an H2 file {@value #H2_FILE}{@code .mv.db} in that folder: every queue with its attributes and
 * every message with its receive count and next visibility time is written on each change and restored before the
 * server binds its port, so a restart (or a new process on the same folder) loses nothing, like SQS.
 *
 * <p>ElasticMQ 1.7.1 opens its database once per JVM (a scalikejdbc connection-pool singleton), so one JVM can use
 * only one data folder; a second, different one is refused rather than silently sharing the first.
 */
public final class EmbeddedSqs extends RestartableServer<EmbeddedSqs.Running> {

    /** Base name of the H2 database in the data folder (H2 adds {@code .mv.db}). */
    static final String H2_FILE = "sqs";
    private static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(30);
    /** The database this JVM's ElasticMQ has opened, if any (see the class comment). */
    private static String openedUri;

    /** A started server and, when persistent, the actor system this class created for it. */
    record Running(SQSRestServer server, ActorSystem ownSystem) {
    }

    private final String host;
    private final int port;
    private final Path dataDir;

    private EmbeddedSqs(String host, int port, Path dataDir, Running running) {
        super("ElasticMQ", URI.create("http://" + host + ":" + port), running);
        this.host = host;
        this.port = port;
        this.dataDir = dataDir;
    }

    /** An in-memory server: a restart starts empty. */
    public static EmbeddedSqs start(String host, int port) {
        return start(host, port, null);
    }

    /**
     * @param dataDir folder of the H2 database, created if missing; null keeps everything in memory
     */
    public static EmbeddedSqs start(String host, int port, Path dataDir) {
        return new EmbeddedSqs(host, port, dataDir, startServer(host, port, dataDir));
    }

    /** Where the queues live: the data folder, or null in memory. */
    public Path dataDir() {
        return dataDir;
    }

    private static Running startServer(String host, int port, Path dataDir) {
        if (dataDir == null) {
            SQSRestServer server = SQSRestServerBuilder
                    .withInterface(host)
                    .withPort(port)
                    .withAWSRegion(LocalAwsServers.REGION)
                    .start();
            server.waitUntilStarted();
            return new Running(server, null);
        }
        String uri = h2Uri(dataDir);
        ActorSystem system = ActorSystem.create("elasticmq");
        try {
            SqlQueuePersistenceConfig config = new SqlQueuePersistenceConfig(true, "org.h2.Driver", uri, "", "", false);
            ActorRef store = system.actorOf(Props.create(SqlQueuePersistenceActor.class, config,
                    scala.collection.immutable.Nil$.MODULE$), "queue-store");
            ActorRef queues = system.actorOf(Props.create(QueueManagerActor.class, new NowProvider(),
                    StrictSQSLimits$.MODULE$, Option.apply(store)), "queue-manager");
            restore(store, queues, uri);
            SQSRestServer server = SQSRestServerBuilder
                    .withActorSystem(system)
                    .withQueueManagerActor(queues)
                    .withQueueEventListener(store)
                    .withInterface(host)
                    .withPort(port)
                    .withAWSRegion(LocalAwsServers.REGION)
                    .start();
            server.waitUntilStarted();
            return new Running(server, system);
        } catch (RuntimeException | Error e) {
            terminate(system);
            throw e;
        }
    }

    /** The queues and their messages from the database, before the port opens (ElasticMQ's server does the same). */
    private static void restore(ActorRef store, ActorRef queues, String uri) {
        Object result;
        try {
            result = Patterns.ask(store, new QueueEvent.Restore(queues), RESTORE_TIMEOUT)
                    .toCompletableFuture().get(RESTORE_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while restoring SQS queues from " + uri, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot restore SQS queues from " + uri
                    + " (ElasticMQ logs the cause; delete the folder to start empty)", e);
        }
        if (result instanceof Either<?, ?> either && either.isLeft()) {
            throw new IllegalStateException("cannot restore SQS queues from " + uri + ": " + either.left().get());
        }
    }

    private static synchronized String h2Uri(Path dataDir) {
        try {
            java.nio.file.Files.createDirectories(dataDir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create the SQS data folder " + dataDir, e);
        }
        String uri = "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve(H2_FILE);
        if (openedUri != null && !openedUri.equals(uri)) {
            throw new IllegalStateException("this JVM's ElasticMQ already uses " + openedUri
                    + "; ElasticMQ opens one database per JVM, so it cannot also use " + uri);
        }
        openedUri = uri;
        return uri;
    }

    @Override
    protected Running startServer() {
        return startServer(host, port, dataDir);
    }

    @Override
    protected void stopServer(Running running) {
        try {
            scala.concurrent.Await.ready(running.server().stopAndGetFuture().apply(),
                    scala.concurrent.duration.Duration.create(3, TimeUnit.SECONDS));
        } catch (Exception e) {
            // Timed out or interrupted: the JVM (or the test run) ends anyway; every change is already written.
        } finally {
            terminate(running.ownSystem());
        }
    }

    private static void terminate(ActorSystem system) {
        if (system == null) {
            return;
        }
        try {
            scala.concurrent.Await.ready(system.terminate(),
                    scala.concurrent.duration.Duration.create(5, TimeUnit.SECONDS));
        } catch (Exception e) {
            // Its threads are daemons or end with the JVM.
        }
    }
}
