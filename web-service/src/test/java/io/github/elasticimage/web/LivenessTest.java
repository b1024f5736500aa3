package io.github.elasticimage.web;

import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The public port's two health answers with a dependency gone (an input bucket that does not exist): readiness
 * ({@code /health}) says DOWN with 503, liveness ({@code /health/liveness}, the load balancer's check on AWS) still says
 * UP, so the web group does not replace instances that an S3 or SQS outage cannot be fixed by replacing.
 */
class LivenessTest extends WebTierTest {

    @Override
    protected void configure(Map<String, String> properties) {
        properties.put("app.resources.input-bucket", "no-such-bucket-" + UUID.randomUUID());
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
