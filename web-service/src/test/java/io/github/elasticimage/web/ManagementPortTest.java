package io.github.elasticimage.web;

import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.multipart.MultipartBody;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What is on which port: operations endpoints ({@code /prometheus}, {@code /api/v1/status}, the detailed
 * {@code /health}) only on the management port, the API and a plain {@code /health} only on the public port.
 */
class ManagementPortTest extends WebTierTest {

    /** The management port (endpoints.all.port), a client Micronaut creates and closes with the context. */
    @Inject
    @Client("http://127.0.0.1:${endpoints.all.port}")
    HttpClient management;



    @Test
    void operationsEndpointsAnswerOnTheManagementPortOnly() {
        String metrics = management.toBlocking().retrieve("/prometheus");
        assertTrue(metrics.contains("# TYPE web_pending_requests gauge"), "the metrics");
        Map<String, Object> status = management.toBlocking().retrieve(HttpRequest.GET("/api/v1/status"),
                Argument.mapOf(String.class, Object.class));
        assertEquals(0, ((Number) status.get("pending")).intValue(), status::toString);
        assertNotNull(status.get("requestQueue"), status::toString);

        for (String path : List.of("/prometheus", "/api/v1/status", "/beans", "/loggers")) {
            HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                    () -> client.toBlocking().exchange(HttpRequest.GET(path), String.class), path);
            assertEquals(HttpStatus.NOT_FOUND, e.getStatus(), path + " on the public port");
            assertTrue(e.getResponse().getBody(String.class).orElse("").contains("\"status\":404"),
                    "the JSON error body");
        }
    }

    @Test
    void thePublicHealthSaysUpWithoutDetailsAndTheManagementHealthHasThem() {
        HttpResponse<Map<String, Object>> plain = client.toBlocking().exchange(HttpRequest.GET("/health"),
                Argument.mapOf(String.class, Object.class));
        assertEquals(HttpStatus.OK, plain.getStatus());
        assertEquals(Map.of("status", "UP"), plain.body(), "status only: no resource names, no errors");

        Map<String, Object> detailed = management.toBlocking().retrieve(HttpRequest.GET("/health"),
                Argument.mapOf(String.class, Object.class));
        assertEquals("UP", detailed.get("status"));
        assertTrue(detailed.get("details") instanceof Map<?, ?> details && !details.isEmpty(), detailed::toString);
    }

    private static HttpRequest<?> upload(String path) {
        return HttpRequest.POST(path, MultipartBody.builder().addPart("myfile", "m.png", MediaType.IMAGE_PNG_TYPE,
                TestImages.png("management")).build()).contentType(MediaType.MULTIPART_FORM_DATA_TYPE);
    }

    @Test
    void theApiIsNotOnTheManagementPort() {
        // Controllers answer only on the public port (the page's static files are served on both: they are public).
        for (HttpRequest<?> request : List.of(
                HttpRequest.GET("/api/v1/classifications/123e4567-e89b-12d3-a456-426614174000"),
                upload("/classify"), upload("/api/v1/classifications"))) {
            HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                    () -> management.toBlocking().exchange(request, String.class));
            assertEquals(HttpStatus.NOT_FOUND, e.getStatus(), request::toString);
        }
    }
}
