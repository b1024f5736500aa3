package io.github.elasticimage.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * One {@link LocalAwsServers} per JVM for integration tests: started on first use on free loopback ports with a
 * temporary S3 folder, stopped when the JVM exits. ElasticMQ takes seconds to start, so test classes share it.
 */
public final class SharedLocalAwsServers {

    private static LocalAwsServers instance;

    private SharedLocalAwsServers() {
    }

    public static synchronized LocalAwsServers get() {
        if (instance == null) {
            try {
                LocalAwsServers cloud = LocalAwsServers.start("127.0.0.1", 0, 0,
                        Files.createTempDirectory("local-cloud-s3"), LocalResources.defaults());
                Runtime.getRuntime().addShutdownHook(new Thread(cloud::close, "shared-local-aws-servers-stop"));
                instance = cloud;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }
}
