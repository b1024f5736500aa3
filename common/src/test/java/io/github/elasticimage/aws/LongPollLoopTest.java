package io.github.elasticimage.aws;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LongPollLoopTest {

    @Test
    void failedRoundsBackOffDoublingAndAGoodRoundResetsTheWait() {
        AtomicBoolean running = new AtomicBoolean(true);
        List<Long> starts = new ArrayList<>();
        // fail, fail, succeed, fail, then stop: waits of 100, 200, none, 100 ms.
        boolean[] fails = {true, true, false, true};
        new LongPollLoop("q", running::get, LoggerFactory.getLogger(LongPollLoopTest.class), () -> {
            starts.add(System.nanoTime());
            int n = starts.size() - 1;
            if (n == fails.length) {
                running.set(false);
                return;
            }
            if (fails[n]) {
                throw new IllegalStateException("round " + n + " fails");
            }
        }).run();
        assertEquals(fails.length + 1, starts.size(), "one round per pass, ended when running turned false");
        long[] gapsMs = new long[fails.length];
        for (int i = 0; i < fails.length; i++) {
            gapsMs[i] = (starts.get(i + 1) - starts.get(i)) / 1_000_000;
        }
        assertTrue(gapsMs[0] >= 100 && gapsMs[1] >= 200 && gapsMs[3] >= 100, () -> java.util.Arrays.toString(gapsMs));
        assertTrue(gapsMs[2] < 100 && gapsMs[3] < 400, () -> "a good round resets the wait: "
                + java.util.Arrays.toString(gapsMs));
    }

    @Test
    void anInterruptedRoundEndsTheLoopAndKeepsTheInterrupt() {
        int[] rounds = {0};
        new LongPollLoop("q", () -> true, LoggerFactory.getLogger(LongPollLoopTest.class), () -> {
            rounds[0]++;
            throw new InterruptedException();
        }).run();
        assertEquals(1, rounds[0]);
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        assertFalse(Thread.currentThread().isInterrupted());
    }
}
