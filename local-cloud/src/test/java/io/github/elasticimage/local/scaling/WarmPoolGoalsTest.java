package io.github.elasticimage.local.scaling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15's goals, held on the shipped scaling-policy.json (the packaged copy, byte-identical to the root file:
 * ScalingPolicyTest) and the Terraform settings it shares: a 100-request burst on a group at min 0 all answered in
 * under 60 s for at most 30 instance-minutes, 500 in under 75 s, and every scenario without a timeout, a lost request
 * or capacity removed while a message is in flight. The trigger is the policy's metric period when it is the 10 s
 * high-resolution metric; while the file still names the one-minute SQS metrics, the simulator's high-resolution
 * trigger stands in for it (the same delays).
 * <p>
 * Under AWS's documented instance warm-up (scale-in waits until every launched instance is InService and warmed up)
 * and alarm repeat (a blocked scale-in alarm acts again a minute later), the cost goal is not met: the shipped settings
 * cost {@link #HUNDRED_INSTANCE_MINUTES_SHIPPED} for the 100-request burst (docs/decisions/0014, addendum). The tests
 * below hold that figure and the time goals; the cost test fails, on purpose, once the goal is met again.
 */
class WarmPoolGoalsTest {

    private static final ScalingPolicy POLICY = ScalingPolicy.packaged();
    private static final Path TERRAFORM = Path.of(System.getProperty("project.root", ".."), "terraform");
    /** The 100-request burst's instance-minutes on the shipped settings (50 s scale-in window; make simulate, 2026-11-30). */
    static final double HUNDRED_INSTANCE_MINUTES_SHIPPED = 41.7;

    private static ScalingSimulator.Timing shipped() {
        ScalingSimulator.Timing defaults = ScalingSimulator.Timing.defaults(POLICY);
        return defaults.metricPeriod() < 60 ? defaults : defaults.highResolution();
    }

    @Test
    void theShippedPolicyMeetsTheBurstTimeGoals() {
        SimulateCommand.Goals goals = SimulateCommand.Goals.of(new ScalingSimulator(POLICY, shipped()));
        assertTrue(goals.hundred().allDoneSeconds() < SimulateCommand.Goals.HUNDRED_SECONDS, goals.hundred().line());
        assertTrue(goals.fiveHundred().allDoneSeconds() < SimulateCommand.Goals.FIVE_HUNDRED_SECONDS,
                goals.fiveHundred().line());
        assertTrue(goals.hundred().ok(), goals.hundred().line());
        assertTrue(goals.fiveHundred().ok(), goals.fiveHundred().line());
    }

    @Test
    void theCostGoalIsMissedByTheRecordedFigureAndNoMore() {
        SimulateCommand.Goals goals = SimulateCommand.Goals.of(new ScalingSimulator(POLICY, shipped()));
        ScalingSimulator.Result hundred = goals.hundred();
        // Not met: 16 of the 20 instances launch cold and scale-in waits for them (docs/decisions/0014, addendum).
        // When this fails because the goal is met again, assert the goal here instead of the recorded figure.
        assertTrue(hundred.instanceMinutes() > SimulateCommand.Goals.HUNDRED_INSTANCE_MINUTES,
                "the 30 instance-minute goal is met again: hold it here. " + hundred.line());
        assertFalse(goals.met(), hundred.line());
        assertTrue(hundred.instanceMinutes() <= HUNDRED_INSTANCE_MINUTES_SHIPPED + 1e-9,
                "costlier than the recorded " + HUNDRED_INSTANCE_MINUTES_SHIPPED + ": " + hundred.line());
    }

    @Test
    void theShippedInstanceWarmUpIsTheCheapestOfTheSimulatedValuesAndAsFast() {
        ScalingSimulator.Result hundred = new ScalingSimulator(POLICY, shipped()).run(100);
        ScalingSimulator.Result fiveHundred = new ScalingSimulator(POLICY, shipped()).run(500);
        for (double warmup : new double[] {0, 10, 30, 60, 90}) {
            ScalingSimulator simulator = new ScalingSimulator(POLICY, shipped().withInstanceWarmup(warmup));
            ScalingSimulator.Result a = simulator.run(100);
            ScalingSimulator.Result b = simulator.run(500);
            assertTrue(a.instanceMinutes() >= hundred.instanceMinutes(), warmup + " s: " + a.line());
            assertTrue(b.instanceMinutes() >= fiveHundred.instanceMinutes(), warmup + " s: " + b.line());
            // The warm-up only delays scale-in: the callers are answered as fast whatever its length.
            assertEquals(hundred.allDoneSeconds(), a.allDoneSeconds(), 1e-9, a.line());
            assertEquals(fiveHundred.allDoneSeconds(), b.allDoneSeconds(), 1e-9, b.line());
        }
    }

    @ParameterizedTest(name = "throughput-aware {0}")
    @ValueSource(booleans = {false, true})
    void everyScenarioAnswersEveryCallerAndNeverRemovesCapacityInFlight(boolean throughputAware) {
        ScalingPolicy policy = throughputAware ? POLICY.throughputAwareVariant() : POLICY;
        ScalingSimulator simulator = new ScalingSimulator(policy, shipped());
        for (ScalingSimulator.Scenario scenario : simulator.scenarios()) {
            ScalingSimulator.Result result = simulator.run(scenario);
            assertTrue(result.ok(), result.line() + "\n" + String.join("\n", result.decisions()));
            assertEquals(scenario.requests(), result.answered(), result.line());
            assertTrue(result.scaledInSeconds() > result.allDoneSeconds(), result.line());
        }
        for (int requests : new int[] {1, 7, 20, 100, 500}) {
            ScalingSimulator.Result worst = simulator.worstPhase(requests, 1);
            assertTrue(worst.ok(), worst.line());
        }
    }

    @Test
    void theThroughputAwarePolicyIsCheaperForTheSameBursts() {
        ScalingSimulator seed = new ScalingSimulator(POLICY, shipped());
        ScalingSimulator cheaper = new ScalingSimulator(POLICY.throughputAwareVariant(), shipped());
        for (int requests : new int[] {100, 500}) {
            ScalingSimulator.Result a = seed.run(requests);
            ScalingSimulator.Result b = cheaper.run(requests);
            assertTrue(b.instanceMinutes() < a.instanceMinutes(), a.line() + "\n" + b.line());
            assertTrue(b.allDoneSeconds() <= a.allDoneSeconds() + 1, a.line() + "\n" + b.line());
        }
    }

    @Test
    void onlyMaxGroupPreparedCapacityLaunchesComeFromThePool() {
        ScalingSimulator.Result result = new ScalingSimulator(POLICY, shipped().withPool(true, 2)).run(100);
        assertEquals(20, result.peakInstances(), result.line());
        assertEquals(2, result.fromPool(), result.line());
        ScalingSimulator.Result more = new ScalingSimulator(POLICY, shipped().withPool(true, 6)).run(100);
        assertEquals(6, more.fromPool(), more.line());
        // Fewer prepared instances serve the burst: slower (the cold ones boot for 83 s).
        assertTrue(more.allDoneSeconds() < result.allDoneSeconds(), result.line() + "\n" + more.line());
    }

    @Test
    void aHibernatedWorkerAnswersAtOnceAndAStoppedOneStartsItsJvmCold() {
        ScalingSimulator.Timing timing = shipped();
        ScalingSimulator.Result hibernated = new ScalingSimulator(POLICY, timing.withPool(true, 4)).run(500);
        ScalingSimulator.Result stopped = new ScalingSimulator(POLICY, timing.withPool(false, 4)).run(500);
        // First answer: the resume (30 s) against start plus worker start (20 + 8 s) ...
        assertEquals(timing.hibernatedResume() - timing.warmStart() - timing.appStart(),
                hibernated.firstAnswerSeconds() - stopped.firstAnswerSeconds(), 0.5);
        // ... but the warmed workers get through 500 requests sooner than freshly started JVMs.
        assertTrue(hibernated.allDoneSeconds() < stopped.allDoneSeconds(), hibernated.line() + "\n" + stopped.line());
    }

    @Test
    void scaleInReturnsInstancesToThePoolSoTheNextBurstIsWarmToo() {
        ScalingSimulator simulator = new ScalingSimulator(POLICY, shipped());
        ScalingSimulator.Scenario first = ScalingSimulator.Scenario.at("first", 100, 5);
        double after = simulator.run(first).scaledInSeconds() + 5 + 60;
        ScalingSimulator.Result both = simulator.run(first.and("two-bursts",
                ScalingSimulator.Scenario.at("second", 100, after)));
        assertEquals(2 * POLICY.warmPool().maxGroupPreparedCapacity(), both.fromPool(), both.line());
        assertTrue(both.ok(), both.line());
    }

    @Test
    void theSimulatorsRootVolumeIsTerraformsDefault() throws IOException {
        String variables = Files.readString(TERRAFORM.resolve("variables.tf"));
        Matcher m = Pattern.compile("variable \"root_volume_size_gb\" \\{.*?default\\s*=\\s*(\\d+)", Pattern.DOTALL)
                .matcher(variables);
        assertTrue(m.find(), "root_volume_size_gb has a default in terraform/variables.tf");
        assertEquals(Integer.parseInt(m.group(1)), SimulateCommand.ROOT_VOLUME_GB);
    }
}
