package io.github.elasticimage.loadtest;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Retry-After values the load test honours (RFC 9110 section 10.2.3) and the jitter it adds. */
class RetryAfterTest {

    @Test
    void delaySecondsAndHttpDatesAreRead() {
        assertEquals(Optional.of(Duration.ofSeconds(1)), LoadRunner.parseRetryAfter("1"));
        assertEquals(Optional.of(Duration.ZERO), LoadRunner.parseRetryAfter("0"));
        String inTenSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
        Duration wait = LoadRunner.parseRetryAfter(inTenSeconds).orElseThrow();
        assertTrue(wait.compareTo(Duration.ofSeconds(8)) > 0 && wait.compareTo(Duration.ofSeconds(11)) < 0,
                inTenSeconds + " -> " + wait);
        assertEquals(Optional.of(Duration.ZERO), LoadRunner.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT"),
                "a date in the past: at once");
    }

    @Test
    void unreadableValuesAreNotRetried() {
        assertEquals(Optional.empty(), LoadRunner.parseRetryAfter("-1"));
        assertEquals(Optional.empty(), LoadRunner.parseRetryAfter("1.5"));
        assertEquals(Optional.empty(), LoadRunner.parseRetryAfter("soon"));
        assertEquals(Optional.empty(), LoadRunner.parseRetryAfter(""));
    }

    @Test
    void jitterAddsUpToAQuarterOfTheDelayAndAtLeastATenthOfASecond() {
        long lowest = Long.MAX_VALUE;
        long highest = 0;
        for (int i = 0; i < 2_000; i++) {
            long delay = LoadRunner.withJitter(1_000);
            lowest = Math.min(lowest, delay);
            highest = Math.max(highest, delay);
            long quick = LoadRunner.withJitter(0);
            assertTrue(quick >= 0 && quick <= 100, "jitter of Retry-After: 0 was " + quick);
        }
        assertTrue(lowest >= 1_000 && highest <= 1_250, lowest + ".." + highest);
        assertTrue(highest - lowest > 100, "the delays spread: " + lowest + ".." + highest);
    }
}
