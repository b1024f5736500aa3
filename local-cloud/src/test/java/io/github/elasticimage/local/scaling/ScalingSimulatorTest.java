package io.github.elasticimage.local.scaling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScalingSimulatorTest {

    private static final ScalingPolicy POLICY = ScalingPolicy.packaged();
    private static final ScalingSimulator.Timing DEFAULTS = ScalingSimulator.Timing.defaults(POLICY);
    /** The repository's policy file, for variants of it (the packaged copy is byte-identical: ScalingPolicyTest). */
    private static final String POLICY_JSON = readPolicyFile();

    private static String readPolicyFile() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of(System.getProperty("project.root", ".."),
                    "scaling-policy.json"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
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

    @ParameterizedTest(name = "warm-up {0} s")
    @ValueSource(doubles = {0, 90, 300})
    void scaleInWaitsUntilEveryLaunchedInstanceHasBeenInServiceForTheWarmUp(double warmup) {
        ScalingSimulator.Timing timing = DEFAULTS.withInstanceWarmup(warmup);
        ScalingSimulator.Result result = new ScalingSimulator(POLICY, timing).run(100);
        // One step asks for all 20 at the first scale-out: 4 resume from the pool, 16 launch cold; the last of those
        // goes InService (its worker polls, the launch hook completes) a cold launch after the scaling activity.
        double lastInService = result.firstScaleOutAt() + timing.activityDelay() + timing.coldLaunch();
        String timeline = result.line() + "\n" + String.join("\n", result.decisions());
        assertTrue(result.firstScaleInAt() >= lastInService + warmup, timeline);
        // The blocked scale-in alarm invokes its policy again once a minute: it acts at the first invocation after the
        // warm-up, within a minute (and one evaluation period) of its end.
        assertTrue(result.firstScaleInAt() <= lastInService + warmup + timing.alarmRepeat() + timing.metricPeriod(),
                timeline);
        if (warmup > 0) {
            // with no warm-up the shipped 50 s window itself ends after the last cold instance is InService: nothing to
            // block; with one, the window ends inside the warm-up and the alarm's first invocation is blocked
            assertTrue(result.decisions().stream().anyMatch(d -> d.contains("blocked")), timeline);
        }
        assertTrue(result.ok(), timeline);
    }

    @Test
    void aScaleInWindowEndingBeforeTheLastColdInstanceIsInServiceIsBlocked() {
        // 3 periods (30 s): the scale-in alarm goes into ALARM before the 16 cold instances are InService, is blocked,
        // and acts a minute later (decision 0014: 55.0 instance-minutes for 100 requests against 41.7 with 5 periods)
        ScalingPolicy shortWindow = ScalingPolicy.parse(POLICY_JSON.replace("\"evaluationPeriods\": 5",
                "\"evaluationPeriods\": 3").getBytes(java.nio.charset.StandardCharsets.UTF_8), "30 s window");
        ScalingSimulator.Result result = new ScalingSimulator(shortWindow, DEFAULTS).run(100);
        String timeline = result.line() + "\n" + String.join("\n", result.decisions());
        assertTrue(result.decisions().stream().anyMatch(d -> d.contains("blocked")), timeline);
        assertTrue(result.ok(), timeline);
        assertTrue(result.instanceMinutes() > new ScalingSimulator(POLICY, DEFAULTS).run(100).instanceMinutes(),
                timeline);
    }

    @Test
    void aLongerWarmUpCostsMoreButAnswersAsFast() {
        ScalingSimulator.Result none = new ScalingSimulator(POLICY, DEFAULTS.withInstanceWarmup(0)).run(100);
        ScalingSimulator.Result fiveMinutes = new ScalingSimulator(POLICY, DEFAULTS.withInstanceWarmup(300)).run(100);
        assertEquals(none.allDoneSeconds(), fiveMinutes.allDoneSeconds(), 1e-9, none.line() + "\n" + fiveMinutes.line());
        // 20 instances held about 300 s longer.
        assertTrue(fiveMinutes.instanceMinutes() - none.instanceMinutes() >= 20 * 4, none.line() + "\n" + fiveMinutes.line());
    }

    @Test
    void aBreachingAlarmReappliesItsStepNoSoonerThanAMinuteLater() {
        // Slow jobs and a request every 2 s: the backlog outgrows every step, so the scale-out alarm stays in ALARM
        // from its first breach until the group is at its maximum.
        ScalingSimulator.Timing slow = DEFAULTS.withJob(1000);
        ScalingSimulator.Scenario growing = ScalingSimulator.Scenario.trickle("growing", 200, 2, 5);
        ScalingSimulator.Result aws = new ScalingSimulator(POLICY, slow, 1e6).run(growing);
        List<Double> steps = scaleOutTimes(aws);
        assertTrue(steps.size() >= 2, String.join("\n", aws.decisions()));
        for (int i = 1; i < steps.size(); i++) {
            assertTrue(steps.get(i) - steps.get(i - 1) >= slow.alarmRepeat(), String.join("\n", aws.decisions()));
        }
        assertEquals(POLICY.maxCapacity(), aws.peakInstances(), aws.line());
        // The same alarm acting on every 10 s datapoint (--alarm-repeat 0) steps up sooner: the scenario exercises
        // the rule.
        ScalingSimulator.Result everyPeriod = new ScalingSimulator(POLICY, slow.withAlarmRepeat(0), 1e6).run(growing);
        List<Double> fast = scaleOutTimes(everyPeriod);
        assertTrue(fast.size() > steps.size(), String.join("\n", everyPeriod.decisions()));
        assertEquals(slow.metricPeriod(), fast.get(1) - fast.get(0), 1e-9, String.join("\n", everyPeriod.decisions()));
        // Entering ALARM acts at once either way.
        assertEquals(fast.get(0), steps.get(0), 1e-9);
    }

    /** Times (from the first arrival) of the decisions that raised the desired capacity. */
    private static List<Double> scaleOutTimes(ScalingSimulator.Result result) {
        Pattern raised = Pattern.compile("^t=(\\d+) .* desired (\\d+) -> (\\d+)$");
        List<Double> times = new ArrayList<>();
        for (String decision : result.decisions()) {
            Matcher m = raised.matcher(decision);
            if (m.matches() && Integer.parseInt(m.group(3)) > Integer.parseInt(m.group(2))) {
                times.add(Double.parseDouble(m.group(1)));
            }
        }
        return times;
    }
}
