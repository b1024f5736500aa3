package io.github.elasticimage.e2e;

import io.github.elasticimage.local.LocalSystem;
import io.github.elasticimage.local.SharedLocalAwsServers;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The whole system, as {@code make run} starts it, once per test JVM: the shared loopback servers, the web tier and one
 * classifier worker, each its own JVM built from this checkout's runnable jars (the reactor builds the services before
 * this module). Stopped when the JVM exits.
 */
public final class SharedLocalSystem {

    private static LocalSystem instance;

    private SharedLocalSystem() {
    }

    public static synchronized LocalSystem get() {
        if (instance == null) {
            Path webJar = ServiceJars.web();
            Path classifierJar = ServiceJars.classifier();
            LocalSystem.Settings settings = new LocalSystem.Settings("127.0.0.1",
                    io.github.elasticimage.local.LocalAwsServers.freePort("127.0.0.1"), webJar, classifierJar,
                    LocalSystem.WEB_JVM_ARGS, LocalSystem.WORKER_JVM_ARGS, Map.of());
            LocalSystem stack = LocalSystem.start(SharedLocalAwsServers.get(), settings, 1, System.out);
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "shared-local-system-stop"));
            instance = stack;
        }
        return instance;
    }
}
