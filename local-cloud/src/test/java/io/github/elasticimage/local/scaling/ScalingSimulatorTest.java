package io.github.elasticimage.local.scaling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScalingSimulatorTest {

    private static final ScalingPolicy POLICY = ScalingPolicy.packaged();
    private static final ScalingSimulator.Timing DEFAULTS = ScalingSimulator.Timing.defaults(POLICY);
    private static final int[] BURSTS = {1, 7, 20, 100, 500};

    @ParameterizedTest(name = "burst of {0}")
    @ValueSource(ints = {1, 7, 20, 100, 500})
    void everyBurstIsAnsweredOnceScalesToMinOfNAndMaxAndBackToMin(int requests) {
        ScalingSimulator.Result result = new ScalingSimulator(POLICY, DEFAULTS).run(requests);
        assertEquals(requests, result.answered());
        assertEquals(0, result.lost());
        assertEquals(Math.min(requests, POLICY.maxCapacity()), result.peakInstances());
        assertEquals(0, result.loweredWhileInFlight());
        assertEquals(0, result.stoppedBusyInstances());
        assertTrue(result.firstAnswerSeconds() <= result.allDoneSeconds(), result.line());
        assertTrue(result.scaledInSeconds() > result.allDoneSeconds(), result.line());
    }

    @ParameterizedTest(name = "warm pool {0}")
    @ValueSource(booleans = {true, false})
    void noCallerTimesOutUnderTheShippedTimeoutForAnyBurstAtAnyPhase(boolean warmPool) {
        ScalingSimulator simulator = new ScalingSimulator(POLICY, DEFAULTS.withWarmPool(warmPool));
        for (int requests : BURSTS) {
            ScalingSimulator.Result worst = simulator.worstPhase(requests, 1);
            assertEquals(0, worst.timeouts(), worst.line());
            assertEquals(0, worst.lost(), worst.line());
            // The margin the policy's description promises: the timeout is well above the longest wait.
            assertTrue(worst.longestWaitSeconds() + 60 <= POLICY.callers().resultTimeoutSeconds(),
                    worst.longestWaitSeconds() + " s: " + worst.line());
        }
    }

    @Test
    void aTimeoutShorterThanTheColdStartIsCountedForEveryCallerItCuts() {
        // A timeout below the first answer of a cold group (half of it): the whole first burst gets 504.
        double beforeFirst = new ScalingSimulator(POLICY, DEFAULTS).run(100).firstAnswerSeconds() / 2;
        ScalingSimulator.Result all = new ScalingSimulator(POLICY, DEFAULTS, beforeFirst).run(100);
        assertEquals(100, all.timeouts(), all.line());
        assertEquals(0, all.lost(), all.line());
        assertTrue(all.line().contains(" timeouts=100 "), all.line());
        // Between the first and the last answer: only the callers served late time out.
        ScalingSimulator.Result shipped = new ScalingSimulator(POLICY, DEFAULTS).run(500);
        double between = (shipped.firstAnswerSeconds() + shipped.allDoneSeconds()) / 2;
        ScalingSimulator.Result some = new ScalingSimulator(POLICY, DEFAULTS, between).run(500);
        assertTrue(some.timeouts() > 0 && some.timeouts() < 500, between + " s: " + some.line());
        assertEquals(0, shipped.timeouts(), shipped.line());
    }

    @ParameterizedTest(name = "warm pool {0}, 10 s trigger {1}")
    @CsvSource({"true, false", "false, false", "true, true", "false, true"})
    void everyScenarioAnswersEveryCallerInTimeAndNeverLowersCapacityInFlight(boolean warmPool, boolean hires) {
        ScalingSimulator.Timing timing = DEFAULTS.withWarmPool(warmPool);
        ScalingSimulator simulator = new ScalingSimulator(POLICY, hires ? timing.highResolution() : timing);
        var scenarios = simulator.scenarios();
        assertEquals(6, scenarios.size());
        for (ScalingSimulator.Scenario scenario : scenarios) {
            ScalingSimulator.Result result = simulator.run(scenario);
            assertEquals(0, result.lost(), result.line());
            assertEquals(0, result.timeouts(), result.line());
            assertEquals(0, result.loweredWhileInFlight(),
                    result.line() + "\n" + String.join("\n", result.decisions()));
            assertEquals(0, result.stoppedBusyInstances(), result.line());
            assertTrue(result.scaledInSeconds() > result.allDoneSeconds(), result.line());
        }
    }

    @Test
    void aRequestInFlightWhenTheScaleInAlarmActsIsCountedAndDrained() {
        // The 10 s trigger acts 15 s after each sample; a request every 10 s from t = 5 s arrives exactly then, while
        // every sample (taken 5 s after an arrival) saw an empty queue. The counter must catch it; the draining
        // worker finishes the job, so nothing is lost.
        ScalingSimulator simulator = new ScalingSimulator(POLICY, DEFAULTS.highResolution());
        ScalingSimulator.Result result = simulator.run(ScalingSimulator.Scenario.trickle("aligned", 60, 10, 5));
        assertTrue(result.loweredWhileInFlight() > 0, result.line());
        assertEquals(result.loweredWhileInFlight(), result.stoppedBusyInstances(), result.line());
        assertEquals(0, result.lost(), result.line());
        assertTrue(!result.ok(), result.line());
    }

    @Test
    void aHundredRequestsAreDoneWithinThreeMinutesWithTheWarmPoolWhateverThePhase() {
        for (int phase = 1; phase <= DEFAULTS.metricPeriod(); phase++) {
            ScalingSimulator.Result result = new ScalingSimulator(POLICY, DEFAULTS.withPeriodPhase(phase)).run(100);
            assertTrue(result.allDoneSeconds() < 180, "phase " + phase + ": " + result.line());
        }
    }

    @Test
    void withoutTheWarmPoolTheSameBurstIsSlower() {
        double warm = new ScalingSimulator(POLICY, DEFAULTS).run(100).allDoneSeconds();
        double coldDone = new ScalingSimulator(POLICY, DEFAULTS.withWarmPool(false)).run(100).allDoneSeconds();
        // The pool's few warm workers answer the burst before the cold ones boot; 20 cold ones share it once up.
        assertTrue(coldDone - warm >= DEFAULTS.coldLaunch() - DEFAULTS.pooledBoot() - 5, warm + " vs " + coldDone);
    }

    @Test
    void everyInstanceStartIsBilledAtLeastTheMinimum() {
        ScalingSimulator.Timing tenMinutes = DEFAULTS.withBillingMinimum(600);
        ScalingSimulator.Result result = new ScalingSimulator(POLICY, tenMinutes).run(7);
        // Each of the 7 instances runs less than 10 minutes, so each bills exactly the minimum.
        assertTrue(result.scaledInSeconds() < 600, result.line());
        assertEquals(70.0, result.instanceMinutes(), 1e-9, result.line());
        assertTrue(new ScalingSimulator(POLICY, DEFAULTS).run(7).instanceMinutes() < 70, result.line());
    }

    @Test
    void slowJobsSpanningManyPeriodsNeverLoseCapacityWhileInFlight() {
        // Each job takes 4 minutes: in-flight messages dominate the backlog for several alarm evaluations.
        ScalingSimulator.Result result = new ScalingSimulator(POLICY, DEFAULTS.withJob(240)).run(45);
        assertEquals(45, result.answered());
        assertEquals(20, result.peakInstances());
        assertEquals(0, result.loweredWhileInFlight(), String.join("\n", result.decisions()));
        assertEquals(0, result.stoppedBusyInstances());
        // 45 jobs on 20 workers: three rounds of 4 minutes.
        assertTrue(result.allDoneSeconds() > 3 * 240, result.line());
    }
}
