package io.github.elasticimage.loadtest;

import io.github.elasticimage.scaling.ScalingPoint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScalingSummaryTest {

    private static ScalingPoint at(long t, long visible, int running) {
        return new ScalingPoint(t, visible, Math.min(visible, running), running, running);
    }

    @Test
    void peakAndTimeBackToMinCountFromTheStartMomentAndIgnoreOlderHistory() {
        long start = 100_000;
        ScalingSummary summary = ScalingSummary.of(List.of(at(10_000, 0, 7), at(start - 500, 0, 1),
                at(start + 1_000, 80, 1), at(start + 2_000, 60, 3), at(start + 3_000, 20, 4), at(start + 9_000, 0, 2),
                at(start + 15_000, 0, 1), at(start + 16_000, 0, 1)), start);
        assertEquals(1, summary.baseline());
        assertEquals(4, summary.peak(), "the 7 from before the run is not part of it");
        assertEquals(3_000, summary.peakAtMillis());
        assertEquals(1, summary.min());
        assertEquals(OptionalLong.of(15_000), summary.backToMinMillis());
        assertEquals(80, summary.peakVisible());
        assertEquals(7, summary.points().size());
        assertTrue(Summary.scalingLine(summary, "stub", null)
                .startsWith("workers    1 at start, peak 4 at +3.0 s, back to min 1 at +15.0 s"));
    }

    @Test
    void notBackToMinWhileSampledAndNoPointsAtAll() {
        ScalingSummary summary = ScalingSummary.of(List.of(at(1_000, 5, 1), at(2_000, 5, 2)), 1_000);
        assertEquals(OptionalLong.empty(), summary.backToMinMillis());
        assertTrue(Summary.scalingLine(summary, "stub", null).contains("not back to min 1 while sampled"));
        assertNull(ScalingSummary.of(List.of(), 1_000));
    }
}
