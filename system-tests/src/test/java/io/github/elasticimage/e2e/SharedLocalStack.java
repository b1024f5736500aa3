package io.github.elasticimage.e2e;

import io.github.elasticimage.local.LocalStack;
import io.github.elasticimage.local.SharedLocalCloud;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The whole system, as {@code make run} starts it, once per test JVM: the shared loopback servers, the web tier and one
 * classifier worker, each its own JVM built from this checkout's runnable jars (the reactor builds the services before
 * this module). Stopped when the JVM exits.
 */
public final class SharedLocalStack {

    private static LocalStack instance;

    private SharedLocalStack() {
    }

    public static synchronized LocalStack get() {
        if (instance == null) {
            Path webJar = ServiceJars.web();
            Path classifierJar = ServiceJars.classifier();
            LocalStack.Settings settings = new LocalStack.Settings("127.0.0.1",
                    io.github.elasticimage.local.LocalCloud.freePort("127.0.0.1"), webJar, classifierJar,
                    LocalStack.WEB_JVM_ARGS, LocalStack.WORKER_JVM_ARGS, Map.of());
            LocalStack stack = LocalStack.start(SharedLocalCloud.get(), settings, 1, System.out);
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "shared-local-stack-stop"));
            instance = stack;
        }
        return instance;
    }
}
