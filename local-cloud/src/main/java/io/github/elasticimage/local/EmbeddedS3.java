package io.github.elasticimage.local;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A real S3-compatible server (S3Proxy, filesystem backend) bound to a loopback address, in this JVM. The objects stay
 * in the data folder when it stops, so after a restart buckets and objects are still there.
 */
public final class EmbeddedS3 extends RestartableServer<S3Proxy> {

    private final Path dataDir;

    private EmbeddedS3(S3Proxy proxy, URI endpoint, Path dataDir) {
        super("S3Proxy", endpoint, proxy);
        this.dataDir = dataDir;
    }

    public static EmbeddedS3 start(String host, int port, Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create S3 data folder " + dataDir, e);
        }
        URI endpoint = URI.create("http://" + host + ":" + port);
        return new EmbeddedS3(startProxy(endpoint, dataDir), endpoint, dataDir);
    }

    private static S3Proxy startProxy(URI endpoint, Path dataDir) {
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(dataDir.toAbsolutePath().toString()))
                .endpoint(endpoint)
                .awsAuthentication(AuthenticationType.NONE, null, null)
                .ignoreUnknownHeaders(true)
                .build();
        try {
            proxy.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("S3Proxy did not start within 30 s (state " + proxy.getState() + ")");
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting S3Proxy", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start S3Proxy on " + endpoint + ": " + e.getMessage(), e);
        }
        return proxy;
    }

    @Override
    protected S3Proxy startServer() {
        return startProxy(endpoint(), dataDir);
    }

    @Override
    protected void stopServer(S3Proxy proxy) {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop S3Proxy", e);
        }
    }
}
