package io.github.elasticimage.local;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How the services are launched: their jars and the workers' JVM (JDK, class-data cache, command prefix). The options
 * {@code make run} ({@link LocalCloudCommand}) and {@code make cold-start} ({@link ColdStartCommand}) share, declared
 * once and mixed into both (picocli {@code @Mixin}), so cold-start's workers are launched as make run's.
 */
public final class LaunchOptions {

    @Option(names = "--web-jar", defaultValue = "web-service/target/web-service-0.1.0-SNAPSHOT.jar",
            description = "Runnable web-service jar (default: ${DEFAULT-VALUE}).")
    Path webJar;

    @Option(names = "--classifier-jar", defaultValue = "classifier-service/target/classifier-service-0.1.0-SNAPSHOT.jar",
            description = "Runnable classifier-service jar (default: ${DEFAULT-VALUE}).")
    Path classifierJar;

    @Option(names = "--worker-command", split = " ",
            description = "Command each worker's java runs through, e.g. \"taskset -c 1\" to keep the workers on core 1 "
                    + "as on a one-core host (default: none).")
    List<String> workerCommand = new ArrayList<>();

    @Option(names = "--worker-cache", defaultValue = WorkerJvm.DEFAULT_MODE,
            description = "Workers' class-data cache, built by a training run when the classifier jar, the JDK or the "
                    + "JVM options changed: auto (an AOT cache on Java 25+, an AppCDS archive on 17-24), appcds, or "
                    + "none (this JVM, no cache). Default: ${DEFAULT-VALUE}.")
    String workerCache;

    @Option(names = "--worker-java-home", description = "JDK of the workers (default: $" + WorkerJvm.JAVA_HOME_ENV
            + ", else " + WorkerJvm.TEMURIN_25 + " when present, else the JVM running this).")
    Path workerJavaHome;
}
