package io.github.elasticimage.local.scaling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The policy file's rule against the acceptance table and its edge cases. */
class ScalingEngineTest {

    private static final ScalingPolicy POLICY = ScalingPolicy.packaged();

    @ParameterizedTest(name = "backlog {0} -> desired {1}")
    @CsvSource({"7, 7", "20, 20", "100, 20", "1, 1", "19, 19", "21, 20"})
    void aBurstOfNRequestsAsksForMinOfNAndMaxInOnePeriod(int backlog, int expected) {
        ScalingEngine engine = new ScalingEngine(POLICY);
        assertEquals(0, POLICY.minCapacity());
        assertEquals(20, POLICY.maxCapacity());
        assertEquals(1, POLICY.targetBacklogPerInstance());
        assertEquals(expected, engine.next(backlog, 0, 0));
    }

    @Test
    void everyBacklogUpToTheCapGetsExactlyOneWorkerPerMessage() {
        for (int n = 1; n <= 200; n++) {
            ScalingEngine engine = new ScalingEngine(POLICY);
            assertEquals(Math.min(n, 20), engine.next(n, 0, 0), "backlog " + n);
        }
    }

    @Test
    void growingBacklogAddsOnlyTheDifference() {
        ScalingEngine engine = new ScalingEngine(POLICY);
        int desired = engine.next(7, 0, 0);
        assertEquals(7, desired);
        // 7 in flight, 5 more arrive: 12 wanted.
        desired = engine.next(5, 7, desired);
        assertEquals(12, desired);
        // Nothing new: the same backlog keeps the same capacity (no step for an excess of 0).
        assertEquals(12, engine.next(3, 9, desired));
    }

    @Test
    void returnsToMinOnlyAfterTheScaleInWindowOfEmptyPeriods() {
        int window = POLICY.scaleIn().evaluationPeriods();
        ScalingEngine engine = new ScalingEngine(POLICY);
        int desired = engine.next(100, 0, 0);
        assertEquals(20, desired);
        desired = engine.next(0, 20, desired);
        for (int i = 1; i < window; i++) {
            desired = engine.next(0, 0, desired);
            assertEquals(20, desired, "scaled in after " + i + " empty period(s); window is " + window);
        }
        desired = engine.next(0, 0, desired);
        assertEquals(POLICY.minCapacity(), desired);
    }

    @Test
    void neverRemovesAWorkerWhileMessagesAreInFlight() {
        ScalingEngine engine = new ScalingEngine(POLICY);
        int desired = engine.next(100, 0, 0);
        // The queue shows nothing visible but 3 jobs are still running, for a long time (slow jobs).
        for (int i = 0; i < 50; i++) {
            desired = engine.next(0, 3, desired);
            assertEquals(20, desired);
        }
        // A fresh message arrives while few remain in flight: a naive ExactCapacity rule would set 1 + 3 = 4 here.
        desired = engine.next(1, 3, desired);
        assertEquals(20, desired, "scale-out must never lower capacity");
    }

    @Test
    void flappingBacklogNeverScalesInAndNeverOscillates() {
        ScalingEngine engine = new ScalingEngine(POLICY);
        int desired = engine.next(5, 0, 0);
        assertEquals(5, desired);
        int window = POLICY.scaleIn().evaluationPeriods();
        for (int i = 0; i < 100; i++) {
            // Empty for window-1 periods, then one message: the window never completes.
            int before = desired;
            desired = engine.next(0, 0, desired);
            for (int j = 1; j < window - 1; j++) {
                desired = engine.next(0, 0, desired);
            }
            desired = engine.next(i % 2 == 0 ? 1 : 0, i % 2 == 0 ? 0 : 1, desired);
            assertEquals(before, desired, "round " + i);
        }
    }

    @Test
    void capsAtTheMaximumAndAtTheLocalMaximum() {
        assertEquals(20, new ScalingEngine(POLICY).next(10_000, 500, 0));
        ScalingEngine local = new ScalingEngine(POLICY, 1, 4);
        assertEquals(4, local.next(100, 0, 1));
        assertEquals(4, local.next(100, 4, 4));
        assertEquals(4, local.next(0, 0, 4));
    }

    @Test
    void localMinimumOverrideIsTheFloorOfScaleIn() {
        ScalingEngine engine = new ScalingEngine(POLICY, 1, 4);
        int desired = engine.next(3, 0, 1);
        assertEquals(3, desired);
        for (int i = 0; i < POLICY.scaleIn().evaluationPeriods(); i++) {
            desired = engine.next(0, 0, desired);
        }
        assertEquals(1, desired);
        assertEquals(1, engine.next(0, 0, desired));
    }

    @Test
    void aStaleDesiredMetricCanOvershootButNeverLower() {
        // On AWS the alarm sees GroupDesiredCapacity one minute late; the step is added to the actual capacity.
        ScalingEngine engine = new ScalingEngine(POLICY);
        ScalingEngine.Action action = engine.evaluate(4, 6, 0);
        assertInstanceOf(ScalingEngine.Action.Add.class, action);
        int desired = engine.apply(action, 12);
        assertTrue(desired >= 12, "lowered to " + desired);
        assertEquals(20, desired);
    }

    @Test
    void randomTrafficOnlyEverLowersCapacityWhenTheQueueIsEmpty() {
        Random random = new Random(42);
        for (int run = 0; run < 200; run++) {
            ScalingEngine engine = new ScalingEngine(POLICY);
            int desired = 0;
            for (int period = 0; period < 200; period++) {
                long visible = random.nextInt(4) == 0 ? random.nextInt(60) : 0;
                long inFlight = random.nextInt(3) == 0 ? random.nextInt(Math.max(1, desired) + 1) : 0;
                int next = engine.next(visible, inFlight, desired);
                assertTrue(next >= 0 && next <= 20, "out of bounds: " + next);
                if (next < desired) {
                    assertEquals(0, visible + inFlight, "lowered " + desired + " -> " + next + " with visible "
                            + visible + " in flight " + inFlight);
                    assertEquals(POLICY.minCapacity(), next);
                }
                if (visible > 0) {
                    assertTrue(next >= Math.min(20, visible + inFlight) || next >= desired,
                            "did not follow the backlog: " + visible + "+" + inFlight + " -> " + next);
                }
                desired = next;
            }
        }
    }
}
