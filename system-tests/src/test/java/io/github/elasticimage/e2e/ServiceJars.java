package io.github.elasticimage.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** The runnable service jars of this checkout, which the reactor builds before this module's tests. */
public final class ServiceJars {

    private ServiceJars() {
    }

    public static Path web() {
        return jar("web-service");
    }

    public static Path classifier() {
        return jar("classifier-service");
    }

    private static Path jar(String module) {
        Path root = Path.of(System.getProperty("project.root", ".."));
        String version = System.getProperty("project.version", "0.1.0-SNAPSHOT");
        Path jar = root.resolve(module + "/target/" + module + "-" + version + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("missing " + jar.toAbsolutePath()
                    + ": run the whole build (make test) so the service jars exist before this module's tests");
        }
        return jar;
    }
}
