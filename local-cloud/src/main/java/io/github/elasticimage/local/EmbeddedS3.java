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

/** A real S3-compatible server (S3Proxy, filesystem backend) bound to a loopback address, in this JVM. */
public final class EmbeddedS3 implements AutoCloseable {

    private final URI endpoint;
    private final Path dataDir;
    /** The running proxy, null while stopped ({@link #stop()}). */
    private S3Proxy proxy;

    private EmbeddedS3(S3Proxy proxy, URI endpoint, Path dataDir) {
        this.proxy = proxy;
        this.endpoint = endpoint;
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

    public URI endpoint() {
        return endpoint;
    }

    /** Stops the server; the objects stay in the data folder. */
    public synchronized void stop() {
        if (proxy == null) {
            return;
        }
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop S3Proxy", e);
        } finally {
            proxy = null;
        }
    }

    /**
     * Starts a stopped server again on the same port and data folder (chaos tests: an S3 outage); buckets and objects
     * are still there. Retries for up to 15 s while the old binding is still being released
     * ({@link SamePortRestart}).
     */
    public synchronized void restart() {
        stop();
        proxy = SamePortRestart.start("S3Proxy", endpoint, () -> startProxy(endpoint, dataDir));
    }

    public synchronized boolean isRunning() {
        return proxy != null;
    }

    @Override
    public void close() {
        stop();
    }
}
