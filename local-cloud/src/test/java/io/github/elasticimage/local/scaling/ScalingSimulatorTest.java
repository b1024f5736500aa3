package io.github.elasticimage.local.scaling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScalingSimulatorTest {

    private static final ScalingPolicy POLICY = ScalingPolicy.packaged();
    private static final ScalingSimulator.Timing DEFAULTS = ScalingSimulator.Timing.defaults();

    @ParameterizedTest(name = "burst of {0}")
    @ValueSource(ints = {7, 20, 100})
    void everyBurstIsAnsweredOnceScalesToMinOfNAndMaxAndBackToMin(int requests) {
        ScalingSimulator.Result result = new ScalingSimulator(POLICY, DEFAULTS).run(requests);
        assertEquals(requests, result.answered());
        assertEquals(Math.min(requests, POLICY.maxCapacity()), result.peakInstances());
        assertEquals(0, result.loweredWhileInFlight());
        assertEquals(0, result.stoppedBusyInstances());
        assertTrue(result.scaledInSeconds() > result.allDoneSeconds(), result.line());
    }

    @Test
    void aHundredRequestsAreDoneWithinThreeMinutesWithTheWarmPoolWhateverThePhase() {
        for (int phase = 1; phase <= 60; phase++) {
            ScalingSimulator.Timing timing = new ScalingSimulator.Timing(DEFAULTS.metricDelay(),
                    DEFAULTS.alarmEvaluation(), phase,
                    DEFAULTS.activityDelay(), DEFAULTS.coldBoot(), DEFAULTS.imagePull(), DEFAULTS.warmStart(),
                    DEFAULTS.appStart(), DEFAULTS.job(), DEFAULTS.terminate(), true, DEFAULTS.horizon());
            ScalingSimulator.Result result = new ScalingSimulator(POLICY, timing).run(100);
            assertTrue(result.allDoneSeconds() < 180, "phase " + phase + ": " + result.line());
        }
    }

    @Test
    void withoutTheWarmPoolTheSameBurstIsSlower() {
        ScalingSimulator.Timing cold = new ScalingSimulator.Timing(DEFAULTS.metricDelay(),
                    DEFAULTS.alarmEvaluation(), DEFAULTS.periodPhase(),
                DEFAULTS.activityDelay(), DEFAULTS.coldBoot(), DEFAULTS.imagePull(), DEFAULTS.warmStart(),
                DEFAULTS.appStart(), DEFAULTS.job(), DEFAULTS.terminate(), false, DEFAULTS.horizon());
        double warm = new ScalingSimulator(POLICY, DEFAULTS).run(100).allDoneSeconds();
        double coldDone = new ScalingSimulator(POLICY, cold).run(100).allDoneSeconds();
        assertEquals(DEFAULTS.coldBoot() + DEFAULTS.imagePull() - DEFAULTS.warmStart(), coldDone - warm, 0.5);
    }

    @Test
    void slowJobsSpanningManyPeriodsNeverLoseCapacityWhileInFlight() {
        // Each job takes 4 minutes: in-flight messages dominate the backlog for several alarm evaluations.
        ScalingSimulator.Timing slow = new ScalingSimulator.Timing(DEFAULTS.metricDelay(),
                    DEFAULTS.alarmEvaluation(), DEFAULTS.periodPhase(),
                DEFAULTS.activityDelay(), DEFAULTS.coldBoot(), DEFAULTS.imagePull(), DEFAULTS.warmStart(),
                DEFAULTS.appStart(), 240, DEFAULTS.terminate(), true, DEFAULTS.horizon());
        ScalingSimulator.Result result = new ScalingSimulator(POLICY, slow).run(45);
        assertEquals(45, result.answered());
        assertEquals(20, result.peakInstances());
        assertEquals(0, result.loweredWhileInFlight(), String.join("\n", result.decisions()));
        assertEquals(0, result.stoppedBusyInstances());
        // 45 jobs on 20 workers: three rounds of 4 minutes.
        assertTrue(result.allDoneSeconds() > 3 * 240, result.line());
    }
}
