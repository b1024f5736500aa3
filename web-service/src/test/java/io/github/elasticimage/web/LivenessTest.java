package io.github.elasticimage.web;

import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The public port's two health answers with a dependency gone (an input bucket that does not exist): readiness
 * ({@code /health}) says DOWN with 503, liveness ({@code /health/liveness}, the load balancer's check on AWS) still says
 * UP, so the web group does not replace instances that an S3 or SQS outage cannot be fixed by replacing.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LivenessTest implements TestPropertyProvider {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();

    @Inject
    @Client("/")
    HttpClient client;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> properties = new HashMap<>(WebTestProperties.of(CLOUD));
        properties.put("app.resources.input-bucket", "no-such-bucket-" + UUID.randomUUID());
        return properties;
    }

    @Test
    void readinessIsDownButLivenessStaysUpWhenABucketIsGone() {
        HttpClientResponseException down = assertThrows(HttpClientResponseException.class,
                () -> client.toBlocking().exchange(HttpRequest.GET("/health"), String.class));
        assertEquals(HttpStatus.SERVICE_UNAVAILABLE, down.getStatus());
        assertEquals("{\"status\":\"DOWN\"}", down.getResponse().getBody(String.class).orElse(""));

        HttpResponse<Map<String, Object>> live = client.toBlocking().exchange(HttpRequest.GET("/health/liveness"),
                Argument.mapOf(String.class, Object.class));
        assertEquals(HttpStatus.OK, live.getStatus());
        assertEquals(Map.of("status", "UP"), live.body());
    }
}
