package io.github.elasticimage.classifier.lifecycle;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A small IMDSv2 client: a session token from {@code PUT /latest/api/token}, then {@code GET /latest/meta-data/<path>}
 * with it. Written with the JDK's HTTP client because the AWS SDK's {@code software.amazon.awssdk:imds} module, listed in
 * the SDK bom 2.57.8, is not published on Maven Central at that version (the newest there is 2.42.2). Not thread-safe
 * (one caller: the gate's poller thread).
 */
class InstanceMetadata {

    /** Seconds a token lives; it is renewed a minute before. */
    static final int TOKEN_TTL_SECONDS = 21_600;
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .version(HttpClient.Version.HTTP_1_1).build();
    private String token;
    private long tokenExpiresAtNanos;

    InstanceMetadata(URI base) {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
    }

    /** The item's value, e.g. {@code get("autoscaling/target-lifecycle-state")}. */
    String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = send(HttpRequest.newBuilder(base.resolve("latest/meta-data/" + path))
                .header("X-aws-ec2-metadata-token", token()).GET());
        if (response.statusCode() == 401) {
            token = null; // expired or revoked: one new token, one retry
            response = send(HttpRequest.newBuilder(base.resolve("latest/meta-data/" + path))
                    .header("X-aws-ec2-metadata-token", token()).GET());
        }
        if (response.statusCode() != 200) {
            throw new IOException("instance metadata " + path + ": HTTP " + response.statusCode());
        }
        return response.body().trim();
    }

    private String token() throws IOException, InterruptedException {
        if (token == null || System.nanoTime() - tokenExpiresAtNanos > 0) {
            long now = System.nanoTime();
            HttpResponse<String> response = send(HttpRequest.newBuilder(base.resolve("latest/api/token"))
                    .header("X-aws-ec2-metadata-token-ttl-seconds", Integer.toString(TOKEN_TTL_SECONDS))
                    .PUT(HttpRequest.BodyPublishers.noBody()));
            if (response.statusCode() != 200 || response.body().isBlank()) {
                throw new IOException("instance metadata token: HTTP " + response.statusCode());
            }
            token = response.body().trim();
            tokenExpiresAtNanos = now + Duration.ofSeconds(TOKEN_TTL_SECONDS - 60).toNanos();
        }
        return token;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }
}
