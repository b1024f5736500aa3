package io.github.elasticimage.web;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.client.multipart.MultipartBody;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * API keys on ({@code API_KEYS} and {@code API_KEYS_FILE} both set): who may call {@code /classify} and the
 * asynchronous API, who may read a result, that the page stays public and that no key reaches the log. Against the
 * real SQS and S3 servers on loopback, with a stand-in worker that stores results like the real one.
 */
class ApiKeyTest extends WebTierTest {

    /** From API_KEYS. */
    private static final String KEY_A = "key-a-" + UUID.randomUUID();
    /** From API_KEYS_FILE, on a line of its own. */
    private static final String KEY_B = "key-b-" + UUID.randomUUID();
    /** From API_KEYS_FILE, second of two comma-separated keys on one line (an SSM parameter's value). */
    private static final String KEY_C = "key-c-" + UUID.randomUUID();
    /** Accepted nowhere; shares KEY_A's first characters, so a prefix comparison would let it in. */
    private static final String WRONG = KEY_A.substring(0, 20) + "-wrong";

    private final FakeWorker worker = new FakeWorker(CLOUD);

    @Override
    protected void configure(Map<String, String> properties) {
        try {
            Path file = Files.createTempFile("api-keys", ".txt");
            file.toFile().deleteOnExit();
            Files.writeString(file, "# one key per line, or several separated by commas\n\n" + KEY_B + "\n"
                    + "key-d-" + UUID.randomUUID() + ", " + KEY_C + "\n");
            properties.put("app.auth.api-keys-file", file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        properties.put("app.auth.api-keys", "  " + KEY_A + " ,");
    }

    @AfterAll
    void stop() throws InterruptedException {
        worker.close();
    }

    @Test
    void withoutAnAcceptedKeyTheApiAnswers401WithTheJsonErrorAndABearerChallenge() {
        String unknownId = UUID.randomUUID().toString();
        List<Function<MutableHttpRequest<?>, MutableHttpRequest<?>>> credentials = List.of(
                r -> r,
                r -> r.bearerAuth(WRONG),
                r -> r.header("X-Api-Key", WRONG),
                r -> r.header(HttpHeaders.AUTHORIZATION, "Basic " + KEY_A),
                r -> r.bearerAuth(""));
        for (Function<MutableHttpRequest<?>, MutableHttpRequest<?>> credential : credentials) {
            for (MutableHttpRequest<?> request : List.of(classify("a.png"), submit("a.png"),
                    HttpRequest.GET("/api/v1/classifications/" + unknownId))) {
                MutableHttpRequest<?> sent = credential.apply(request);
                HttpClientResponseException e = assertThrows(HttpClientResponseException.class,
                        () -> client.toBlocking().exchange(sent, String.class), sent::toString);
                assertEquals(HttpStatus.UNAUTHORIZED, e.getStatus(), sent.getPath());
                assertEquals("Bearer", e.getResponse().getHeaders().get(HttpHeaders.WWW_AUTHENTICATE), sent.getPath());
                Map<String, Object> body = e.getResponse().getBody(Argument.mapOf(String.class, Object.class))
                        .orElseThrow();
                assertEquals(401, ((Number) body.get("status")).intValue(), body::toString);
                assertEquals("Unauthorized", body.get("error"));
                assertTrue(body.get("message").toString().contains("API key"), body::toString);
            }
        }
    }

    @Test
    void anAcceptedKeyInEitherHeaderIsLetThrough() {
        byte[] image = TestImages.png("bearer");
        assertEquals(FakeWorker.labelFor(image), client.toBlocking().retrieve(
                classify("bearer.png", image).bearerAuth(KEY_A), String.class));
        byte[] other = TestImages.png("x-api-key");
        assertEquals(FakeWorker.labelFor(other), client.toBlocking().retrieve(
                classify("x.png", other).header("X-Api-Key", KEY_B), String.class), "the key from the file");
        byte[] third = TestImages.png("comma-separated");
        assertEquals(FakeWorker.labelFor(third), client.toBlocking().retrieve(
                classify("c.png", third).bearerAuth(KEY_C), String.class), "a comma-separated key from the file");
        HttpResponse<String> accepted = client.toBlocking().exchange(submit("s.png").header("X-Api-Key", KEY_A),
                String.class);
        assertEquals(HttpStatus.ACCEPTED, accepted.getStatus());
    }

    @Test
    void aResultIsReadableOnlyWithTheKeyThatSubmittedIt() {
        String id = submitted(KEY_A, TestImages.png("owned"));
        Map<String, Object> done = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.toBlocking().retrieve(HttpRequest.GET("/api/v1/classifications/" + id)
                        .header("X-Api-Key", KEY_A), Argument.mapOf(String.class, Object.class)),
                r -> "done".equals(r.get("status")));
        assertEquals(id, done.get("id"));

        // Another accepted key: the same 404 as for an id that does not exist (the id's existence is not confirmed).
        HttpClientResponseException other = assertThrows(HttpClientResponseException.class, () -> client.toBlocking()
                .exchange(HttpRequest.GET("/api/v1/classifications/" + id).bearerAuth(KEY_B), String.class));
        assertEquals(HttpStatus.NOT_FOUND, other.getStatus());
        String unknown = UUID.randomUUID().toString();
        HttpClientResponseException missing = assertThrows(HttpClientResponseException.class, () -> client.toBlocking()
                .exchange(HttpRequest.GET("/api/v1/classifications/" + unknown).bearerAuth(KEY_B), String.class));
        assertEquals(missing.getResponse().getBody(String.class).orElseThrow().replace(unknown, "ID"),
                other.getResponse().getBody(String.class).orElseThrow().replace(id, "ID"));
    }

    @Test
    void aPendingRequestIsUnknownToAnotherKey() {
        // SILENT*: the stand-in worker never answers, so the request stays pending (its upload exists, no result).
        HttpResponse<Map<String, Object>> response = client.toBlocking().exchange(
                submit("SILENT-pending.png").bearerAuth(KEY_A), Argument.mapOf(String.class, Object.class));
        String id = (String) response.body().get("id");
        assertEquals("pending", client.toBlocking().retrieve(HttpRequest.GET("/api/v1/classifications/" + id)
                .bearerAuth(KEY_A), Argument.mapOf(String.class, Object.class)).get("status"));
        HttpClientResponseException other = assertThrows(HttpClientResponseException.class, () -> client.toBlocking()
                .exchange(HttpRequest.GET("/api/v1/classifications/" + id).bearerAuth(KEY_B), String.class));
        assertEquals(HttpStatus.NOT_FOUND, other.getStatus());
    }

    @Test
    void theOpenApiDocumentNamesBothWaysToSendAKey() {
        String yaml = client.toBlocking().retrieve("/swagger/elastic-image-recognition-1.yml");
        assertTrue(yaml.contains("scheme: bearer"), "bearer scheme");
        assertTrue(yaml.contains("name: X-Api-Key"), "X-Api-Key scheme");
        assertTrue(yaml.contains("security:\n      - bearer: []\n      - apiKey: []"), "either one on the API routes");
    }

    @Test
    void thePageItsFilesAndThePlainHealthStayPublic() {
        for (String path : List.of("/", "/app.js", "/app.css", "/health")) {
            assertEquals(HttpStatus.OK, client.toBlocking().exchange(HttpRequest.GET(path), String.class).getStatus(),
                    path);
        }
    }

    @Test
    void noKeyReachesTheLogEvenAtTrace() {
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Map<Logger, Level> levels = new HashMap<>();
        // Every logger this JVM has, at TRACE, for the duration of the calls (the configured ones are quieter).
        List<Logger> all = new ArrayList<>(root.getLoggerContext().getLoggerList());
        for (Logger logger : all) {
            levels.put(logger, logger.getLevel());
            logger.setLevel(Level.TRACE);
        }
        // Only into the capture: at TRACE the stand-in servers alone would write megabytes to the build log.
        List<Appender<ILoggingEvent>> outputs = new ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(outputs::add);
        outputs.forEach(root::detachAppender);
        events.start();
        root.addAppender(events);
        try {
            byte[] image = TestImages.png("log check");
            client.toBlocking().retrieve(classify("log.png", image).bearerAuth(KEY_A), String.class);
            String id = submitted(KEY_B, TestImages.png("log check async"));
            client.toBlocking().exchange(HttpRequest.GET("/api/v1/classifications/" + id).header("X-Api-Key", KEY_B),
                    String.class);
            assertThrows(HttpClientResponseException.class,
                    () -> client.toBlocking().exchange(classify("log.png", image).bearerAuth(WRONG), String.class));
            assertThrows(HttpClientResponseException.class, () -> client.toBlocking().exchange(
                    HttpRequest.GET("/api/v1/classifications/" + id).header("X-Api-Key", WRONG), String.class));
        } finally {
            levels.forEach(Logger::setLevel);
            root.detachAppender(events);
            outputs.forEach(root::addAppender);
            events.stop();
        }
        assertTrue(events.list.size() > 20, "the capture saw the requests: " + events.list.size() + " events");
        assertTrue(events.list.stream().anyMatch(e -> e.getFormattedMessage().contains("refused: 401")),
                "the refusal is logged");
        for (ILoggingEvent event : events.list) {
            String text = event.getFormattedMessage() + " " + event.getMDCPropertyMap() + throwableText(
                    event.getThrowableProxy());
            for (String key : List.of(KEY_A, KEY_B, WRONG)) {
                assertFalse(text.contains(key), () -> "a key in the log: " + event.getLoggerName() + " " + text);
            }
        }
    }

    private static String throwableText(IThrowableProxy proxy) {
        StringBuilder text = new StringBuilder();
        for (IThrowableProxy p = proxy; p != null; p = p.getCause()) {
            text.append(' ').append(p.getClassName()).append(": ").append(p.getMessage());
        }
        return text.toString();
    }

    private String submitted(String key, byte[] image) {
        HttpResponse<Map<String, Object>> response = client.toBlocking().exchange(
                submit("owned.png", image).header("X-Api-Key", key), Argument.mapOf(String.class, Object.class));
        assertEquals(HttpStatus.ACCEPTED, response.getStatus());
        return (String) response.body().get("id");
    }

    private static MutableHttpRequest<MultipartBody> classify(String name) {
        return classify(name, TestImages.png(name));
    }

    private static MutableHttpRequest<MultipartBody> classify(String name, byte[] image) {
        return HttpRequest.POST("/classify", MultipartBody.builder()
                        .addPart("myfile", name, MediaType.IMAGE_PNG_TYPE, image).build())
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE);
    }

    private static MutableHttpRequest<MultipartBody> submit(String name) {
        return submit(name, TestImages.png(name));
    }

    private static MutableHttpRequest<MultipartBody> submit(String name, byte[] image) {
        return HttpRequest.POST("/api/v1/classifications", MultipartBody.builder()
                        .addPart("myfile", name, MediaType.IMAGE_PNG_TYPE, image).build())
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE);
    }
}
