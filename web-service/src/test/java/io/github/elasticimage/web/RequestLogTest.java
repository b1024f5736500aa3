package io.github.elasticimage.web;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.elasticimage.web.api.ApiExceptionHandler;
import io.github.elasticimage.web.api.ClassificationService;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.client.multipart.MultipartBody;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web tier's request log: one INFO line per request with the request id and timings, the client's file name only
 * in its sanitised form, and never the image bytes. Captures the real log events of the real services.
 */
class RequestLogTest extends WebTierTest {

    /** Path elements, a BEL control character and a right-to-left override (a format character). */
    private static final String HOSTILE_NAME = "../../etc/co\u0007ffee\u202Egnp.png";
    private static final String SANITISED_NAME = "coffeegnp.png";

    private final FakeWorker worker = new FakeWorker(CLOUD);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger(ClassificationService.class),
            (Logger) LoggerFactory.getLogger(ApiExceptionHandler.class));
    private final Map<Logger, Level> levels = new HashMap<>();

    @BeforeEach
    void capture() {
        events.start();
        for (Logger logger : loggers) {
            levels.put(logger, logger.getLevel());
            logger.setLevel(Level.INFO);
            logger.addAppender(events);
        }
    }

    @AfterEach
    void release() {
        for (Logger logger : loggers) {
            logger.detachAppender(events);
            logger.setLevel(levels.get(logger));
        }
        events.stop();
    }

    @AfterAll
    void stop() throws InterruptedException {
        worker.close();
    }

    @Test
    void oneInfoLineWithIdAndTimingsAndOnlyTheSanitisedName() throws IOException {
        byte[] image = Files.readAllBytes(Path.of(System.getProperty("samples.dir"), "coffee.png"));
        Map<String, Object> answer = client.toBlocking().retrieve(upload(image).accept(MediaType.APPLICATION_JSON_TYPE),
                Argument.mapOf(String.class, Object.class));
        String id = (String) answer.get("id");

        List<String> lines = messages();
        List<String> forRequest = lines.stream().filter(l -> l.contains("id=" + id)).toList();
        assertEquals(1, forRequest.size(), () -> "one line for the request: " + lines);
        String line = forRequest.get(0);
        assertTrue(line.matches("classify id=" + id + " file=" + SANITISED_NAME + " label=\"[^\"]+\" p=\\S+ "
                + "total_ms=\\d+ worker_ms=-?\\d+ worker=\\S+"), line);
        assertEquals(Level.INFO, events.list.get(lines.indexOf(line)).getLevel());
        assertClean(lines, image);
    }

    @Test
    void aRefusedUploadIsLoggedWithTheSanitisedNameOnly() {
        assertThrows(HttpClientResponseException.class,
                () -> client.toBlocking().exchange(upload(new byte[0]), String.class));
        List<String> lines = messages();
        assertTrue(lines.stream().anyMatch(l -> l.contains("refused: 400") && l.contains(SANITISED_NAME)),
                () -> "the refusal names the sanitised file: " + lines);
        assertClean(lines, new byte[0]);
    }

    private static void assertClean(List<String> lines, byte[] image) {
        for (String line : lines) {
            assertFalse(line.contains("..") || line.contains("/etc/"), "no client path: " + line);
            assertTrue(line.codePoints().noneMatch(cp -> Character.isISOControl(cp)
                    || Character.getType(cp) == Character.FORMAT), "no control or format characters: " + line);
            if (image.length > 0) {
                assertFalse(line.contains(new String(image, 0, 8, StandardCharsets.ISO_8859_1)), "no image bytes");
                assertFalse(line.contains(Base64.getEncoder().encodeToString(image).substring(0, 16)),
                        "no image bytes in base64");
            }
        }
    }

    private List<String> messages() {
        return events.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static io.micronaut.http.MutableHttpRequest<MultipartBody> upload(byte[] image) {
        return HttpRequest.POST("/classify", MultipartBody.builder()
                        .addPart("myfile", HOSTILE_NAME, MediaType.IMAGE_PNG_TYPE, image).build())
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE);
    }
}
