package io.github.elasticimage.web.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.http.HttpRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admission's 503s in the log: a burst of any size gives one WARN line at its start, one WARN summary per interval
 * and an INFO line at its end; each refusal is a DEBUG line, and each counts in {@code web.admission.refused}.
 */
class AdmissionRefusalsTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(AdmissionRefusals.class);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private Level level;

    @BeforeEach
    void capture() {
        level = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        logger.setAdditive(false); // 733 DEBUG lines: into the capture only, not the build's output
        events.start();
        logger.addAppender(events);
    }

    @AfterEach
    void release() {
        logger.detachAppender(events);
        logger.setAdditive(true);
        logger.setLevel(level);
    }

    @Test
    void aBurstOfRefusalsIsALineAtItsStartAndASummaryPerInterval() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdmissionRefusals refusals = new AdmissionRefusals(registry);
        HttpRequest<?> request = HttpRequest.POST("/classify", "");
        for (int i = 0; i < 734; i++) {
            refusals.record(request, i % 20 == 0 && i < 680
                    ? new WebException.CapacityExceeded(1000)
                    : new WebException.CapacityExceeded(Admission.Limit.MAX_UPLOAD_MEMORY, "uploads at their limit"));
        }
        List<ILoggingEvent> first = atInfoOrAbove();
        assertEquals(1, first.size(), "734 refusals, one line at INFO or above: " + messages(first));
        assertEquals(Level.WARN, first.get(0).getLevel());
        assertTrue(first.get(0).getFormattedMessage().contains("POST /classify"), first.get(0).getFormattedMessage());
        assertEquals(733, events.list.stream().filter(e -> e.getLevel() == Level.DEBUG).count(),
                "each further refusal at DEBUG");

        refusals.summarise();
        List<ILoggingEvent> lines = atInfoOrAbove();
        assertEquals(2, lines.size(), messages(lines));
        String summary = lines.get(1).getFormattedMessage();
        assertEquals(Level.WARN, lines.get(1).getLevel());
        assertTrue(summary.matches("refused 734 request\\(s\\) with 503 in the last \\d+ s: "
                + "MAX_UPLOAD_MEMORY 700, MAX_PENDING 34"), summary);
        assertEquals(700, registry.get("web.admission.refused").tag("reason", "max_upload_memory").counter().count());
        assertEquals(34, registry.get("web.admission.refused").tag("reason", "max_pending").counter().count());

        refusals.record(request, new WebException.CapacityExceeded(1000));
        refusals.summarise();
        assertEquals(3, atInfoOrAbove().size(), "still in the burst: its summary only");
        refusals.summarise();
        List<ILoggingEvent> ended = atInfoOrAbove();
        assertEquals(4, ended.size(), messages(ended));
        assertEquals(Level.INFO, ended.get(3).getLevel(), "an interval without refusals ends the burst");
        refusals.summarise();
        assertEquals(4, atInfoOrAbove().size(), "quiet: nothing");

        refusals.record(request, new WebException.CapacityExceeded(1000));
        List<ILoggingEvent> again = atInfoOrAbove();
        assertEquals(5, again.size(), "a new burst is told at once");
        assertEquals(Level.WARN, again.get(4).getLevel());
        assertEquals(36, registry.get("web.admission.refused").tag("reason", "max_pending").counter().count());
    }

    private List<ILoggingEvent> atInfoOrAbove() {
        return events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO)).toList();
    }

    private static String messages(List<ILoggingEvent> list) {
        return list.stream().map(ILoggingEvent::getFormattedMessage).toList().toString();
    }
}
