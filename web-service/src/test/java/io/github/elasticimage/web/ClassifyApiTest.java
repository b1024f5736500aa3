package io.github.elasticimage.web;

import io.github.elasticimage.web.queue.ResponseQueue;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.client.multipart.MultipartBody;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP contract of {@code POST /classify} and {@code /health}, against real SQS and S3 servers on loopback. */
class ClassifyApiTest extends WebTierTest {

    private final FakeWorker worker = new FakeWorker(CLOUD);

    @Inject
    ResponseQueue responseQueue;

    @Override
    protected void configure(Map<String, String> properties) {
        properties.put("app.web.result-timeout", "3s");
    }

    @AfterAll
    void stopWorker() throws InterruptedException {
        worker.close();
    }

    private static MultipartBody upload(String field, String fileName, byte[] bytes) {
        return MultipartBody.builder().addPart(field, fileName, MediaType.IMAGE_PNG_TYPE, bytes).build();
    }

    private io.micronaut.http.MutableHttpRequest<MultipartBody> post(MultipartBody body) {
        return HttpRequest.POST("/classify", body).contentType(MediaType.MULTIPART_FORM_DATA_TYPE);
    }

    @Test
    void answersTheBareLabelAsText() throws Exception {
        byte[] image = Files.readAllBytes(Path.of(System.getProperty("samples.dir"), "coffee.png"));
        HttpResponse<String> response = client.toBlocking().exchange(post(upload("myfile", "coffee.png", image)),
                String.class);
        assertEquals(HttpStatus.OK, response.getStatus());
        assertEquals(FakeWorker.labelFor(image), response.body());
        assertTrue(response.getContentType().orElseThrow().matches(MediaType.TEXT_PLAIN_TYPE));
    }

    @Test
    void fieldFileIsAcceptedToo() {
        byte[] image = TestImages.png("file-field");
        String body = client.toBlocking().retrieve(post(upload("file", "a.png", image)), String.class);
        assertEquals(FakeWorker.labelFor(image), body);
    }

    @Test
    void inputFileFieldAnswersFileStemColonLabel() {
        byte[] image = TestImages.png("input-file-field");
        String body = client.toBlocking().retrieve(post(upload("inputFile", "test_0.JPEG", image)), String.class);
        assertEquals("test_0:" + FakeWorker.labelFor(image), body);
    }

    @Test
    void jsonOnRequestWithIdFileAndTop5() {
        byte[] image = TestImages.png("json-please");
        Map<String, Object> body = client.toBlocking().retrieve(post(upload("myfile", "../../etc/passwd", image))
                .accept(MediaType.APPLICATION_JSON_TYPE), Argument.mapOf(String.class, Object.class));
        assertEquals(FakeWorker.labelFor(image), body.get("label"));
        assertEquals("passwd", body.get("file"), "client path elements never come back");
        assertNotNull(body.get("id"));
        assertEquals(0.9, ((Number) body.get("confidence")).doubleValue(), 1e-9);
        assertEquals(1, ((java.util.List<?>) body.get("top5")).size());
    }

    @Test
    void noFileIs400WithAJsonReason() {
        MultipartBody body = MultipartBody.builder().addPart("other", "x.png", MediaType.IMAGE_PNG_TYPE,
                new byte[] {1, 2, 3}).build();
        HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                () -> client.toBlocking().exchange(post(body), String.class));
        assertEquals(HttpStatus.BAD_REQUEST, e.getStatus());
        Map<?, ?> error = e.getResponse().getBody(Map.class).orElseThrow();
        assertEquals(400, ((Number) error.get("status")).intValue());
        assertTrue(error.get("message").toString().contains("myfile"), error.toString());
    }

    @Test
    void emptyFileIs400() {
        HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                () -> client.toBlocking().exchange(post(upload("myfile", "empty.png", new byte[0])), String.class));
        assertEquals(HttpStatus.BAD_REQUEST, e.getStatus());
    }

    @Test
    void workerFailureIs422WithTheRequestId() {
        HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                () -> client.toBlocking().exchange(post(upload("myfile", "FAIL.png", TestImages.png("fail"))),
                        String.class));
        assertEquals(HttpStatus.UNPROCESSABLE_ENTITY, e.getStatus());
        Map<?, ?> error = e.getResponse().getBody(Map.class).orElseThrow();
        assertEquals("not an image", error.get("message"));
        assertNotNull(error.get("id"));
    }

    @Test
    void noAnswerInTimeIs504WithTheRequestId() {
        HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                () -> client.toBlocking().exchange(post(upload("myfile", "SILENT.png", TestImages.png("silent"))),
                        String.class));
        assertEquals(HttpStatus.GATEWAY_TIMEOUT, e.getStatus());
        Map<?, ?> error = e.getResponse().getBody(Map.class).orElseThrow();
        assertNotNull(error.get("id"));
        assertTrue(error.get("message").toString().contains("3 s"), error.toString());
    }

    @Test
    void aDuplicateAnswerReachesTheCallerOnce() {
        byte[] image = TestImages.png("twice");
        assertEquals(FakeWorker.labelFor(image),
                client.toBlocking().retrieve(post(upload("myfile", "TWICE.png", image)), String.class));
        // The next request still gets its own answer, not the stray duplicate.
        byte[] next = TestImages.png("after the duplicate");
        assertEquals(FakeWorker.labelFor(next),
                client.toBlocking().retrieve(post(upload("myfile", "next.png", next)), String.class));
    }

    @Test
    void servesTheOpenApiDocumentGeneratedFromTheControllers() {
        String yaml = client.toBlocking().retrieve("/swagger/elastic-image-recognition-1.yml");
        assertTrue(yaml.startsWith("openapi: 3"), yaml);
        for (String path : new String[] {"/classify:", "/api/v1/classifications:", "/api/v1/classifications/{id}:"}) {
            assertTrue(yaml.contains(path), "missing " + path);
        }
    }

    @Test
    void healthIsUpWhenQueueAndBucketsAnswer() {
        HttpResponse<Map> response = client.toBlocking().exchange(HttpRequest.GET("/health"), Map.class);
        assertEquals(HttpStatus.OK, response.getStatus());
        assertEquals("UP", response.body().get("status"));
    }

    @Test
    void eachInstanceHasItsOwnResponseQueue() {
        assertTrue(responseQueue.name().startsWith(CLOUD.resources().responseQueuePrefix() + "-"), responseQueue.name());
        assertEquals(responseQueue.url(), CLOUD.queueUrl(responseQueue.name()));
    }
}
