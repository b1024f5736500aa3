package io.github.elasticimage.web;

import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.multipart.MultipartBody;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * API keys off (the local default): the synchronous and asynchronous API answer without a key, a key header is
 * ignored, and a result stored with an owner tag (submitted while keys were on) is readable by anyone.
 */
class ApiKeysOffTest extends WebTierTest {

    private final FakeWorker worker = new FakeWorker(CLOUD);

    @AfterAll
    void stop() throws InterruptedException {
        worker.close();
    }

    @Test
    void theApiIsOpenWithoutAKey() {
        byte[] image = TestImages.png("keys off");
        assertEquals(FakeWorker.labelFor(image), client.toBlocking().retrieve(HttpRequest.POST("/classify",
                        MultipartBody.builder().addPart("myfile", "off.png", MediaType.IMAGE_PNG_TYPE, image).build())
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE), String.class));

        HttpResponse<Map<String, Object>> submitted = client.toBlocking().exchange(HttpRequest.POST(
                        "/api/v1/classifications", MultipartBody.builder().addPart("myfile", "off-async.png",
                                MediaType.IMAGE_PNG_TYPE, TestImages.png("keys off async")).build())
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE), Argument.mapOf(String.class, Object.class));
        assertEquals(HttpStatus.ACCEPTED, submitted.getStatus());
        String id = (String) submitted.body().get("id");
        for (HttpRequest<?> read : List.of(HttpRequest.GET("/api/v1/classifications/" + id),
                HttpRequest.GET("/api/v1/classifications/" + id).header("X-Api-Key", "any-key-is-ignored-here"))) {
            Map<String, Object> done = await().atMost(Duration.ofSeconds(30)).until(() -> client.toBlocking()
                    .retrieve(read, Argument.mapOf(String.class, Object.class)), r -> "done".equals(r.get("status")));
            assertEquals(id, done.get("id"));
        }
    }

    @Test
    void aResultWithAnOwnerTagIsOpenWhenKeysAreOff() {
        String id = UUID.randomUUID().toString();
        ClassificationResult result = ClassificationResult.done(id, List.of(new ClassificationResult.Prediction(
                "espresso", 0.9)), "stored-while-keys-were-on", null);
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().outputBucket()).key(Messages.resultKey(id))
                        .metadata(Map.of(Messages.OWNER_METADATA, "tag-of-some-key")),
                RequestBody.fromString(Messages.toJson(result)));
        Map<String, Object> read = client.toBlocking().retrieve(HttpRequest.GET("/api/v1/classifications/" + id),
                Argument.mapOf(String.class, Object.class));
        assertEquals("done", read.get("status"));
        assertEquals("espresso", read.get("label"));
    }
}
