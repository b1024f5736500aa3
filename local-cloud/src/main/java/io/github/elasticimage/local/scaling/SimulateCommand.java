package io.github.elasticimage.local.scaling;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code make simulate}: the scaling policy on AWS-like timing, one line per scenario: bursts of 1, 7, 20, 100 and 500
 * requests, then bursts at the start, middle and end of an alarm period, two waves, a steady trickle and a burst during
 * scale-in; last, the longest wait a caller sees over every phase of the period against the policy's timeouts. Exits 1
 * if a scenario loses a request, a caller times out, or capacity went down while work was in flight.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Replays scaling-policy.json in simulated time with AWS-like delays, one line per scenario.")
public final class SimulateCommand implements Callable<Integer> {

    private static final ScalingSimulator.Timing D = ScalingSimulator.Timing.defaults(ScalingPolicy.packaged());

    @Option(names = "--policy",
            description = "Policy file (default: the scaling-policy.json packaged in this jar).")
    Path policyFile;

    @Option(names = "--bursts", split = ",", defaultValue = "1,7,20,100,500",
            description = "Burst sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> bursts;

    @Option(names = "--scenarios", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also the phase, two-wave, trickle and scale-in scenarios (default: on).")
    boolean scenarios;

    @Option(names = "--metric-period",
            description = "Seconds per alarm period, one queue sample each (default: the period of the policy's "
                    + "primary metric source, metric.primary.periodSeconds).")
    Double metricPeriod;

    @Option(names = "--metric-delay",
            description = "Seconds from a period's end to its datapoint reaching CloudWatch (default: the primary "
                    + "source's: " + ScalingSimulator.Timing.HIRES_METRIC_DELAY + " high-resolution, "
                    + ScalingSimulator.Timing.METRIC_DELAY + " one-minute).")
    Double metricDelay;

    @Option(names = "--alarm-evaluation",
            description = "Seconds from a datapoint's arrival to the alarm acting on it (default: the primary "
                    + "source's: " + ScalingSimulator.Timing.HIRES_ALARM_EVALUATION + " high-resolution, "
                    + ScalingSimulator.Timing.ALARM_EVALUATION + " one-minute).")
    Double alarmEvaluation;

    @Option(names = "--period-phase",
            description = "Seconds from a burst to the end of the running period (default: half the period).")
    Double periodPhase;

    @Option(names = "--activity-delay",
            description = "Seconds from alarm action to instance launch (default: ${DEFAULT-VALUE}).")
    double activityDelay = D.activityDelay();

    @Option(names = "--cold-boot",
            description = "Seconds for a new instance to boot to Docker running (default: ${DEFAULT-VALUE}).")
    double coldBoot = D.coldBoot();

    @Option(names = "--image-pull",
            description = "Seconds to pull the classifier image on a new instance (default: ${DEFAULT-VALUE}).")
    double imagePull = D.imagePull();

    @Option(names = "--warm-start",
            description = "Seconds to start a stopped warm-pool instance (default: ${DEFAULT-VALUE}).")
    double warmStart = D.warmStart();

    @Option(names = "--app-start",
            description = "Seconds from container start to polling: JVM, model load, warm-up (default: ${DEFAULT-VALUE}).")
    double appStart = D.appStart();

    @Option(names = "--job",
            description = "Seconds per request on one worker (default: ${DEFAULT-VALUE}).")
    double job = D.job();

    @Option(names = "--terminate",
            description = "Seconds for a stopping worker to drain and stop (default: ${DEFAULT-VALUE}).")
    double terminate = D.terminate();

    @Option(names = "--billing-minimum",
            description = "Seconds EC2 bills at least per instance start (default: ${DEFAULT-VALUE}).")
    double billingMinimum = D.billingMinimum();

    @Option(names = "--warm-pool", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Use the warm pool (default: on; --no-warm-pool launches every instance cold).")
    boolean warmPool;

    @Option(names = "--result-timeout",
            description = "Seconds a caller waits before the web tier answers 504 (default: the policy's "
                    + "callers.resultTimeoutSeconds).")
    Double resultTimeout;

    @Option(names = "--high-resolution",
            description = "After each line, the same scenario with a high-resolution custom-metric trigger "
                    + "(scenario name + '@hires'); the shipped policy is not changed.")
    boolean highResolution;

    @Option(names = "--hires-period",
            description = "High-resolution trigger: seconds per period (default: ${DEFAULT-VALUE}).")
    double hiresPeriod = ScalingSimulator.Timing.HIRES_PERIOD;

    @Option(names = "--hires-metric-delay",
            description = "High-resolution trigger: seconds from a period's end to its datapoint stored "
                    + "(default: ${DEFAULT-VALUE}).")
    double hiresMetricDelay = ScalingSimulator.Timing.HIRES_METRIC_DELAY;

    @Option(names = "--hires-alarm-evaluation",
            description = "High-resolution trigger: seconds from a stored datapoint to the alarm acting "
                    + "(default: ${DEFAULT-VALUE}).")
    double hiresAlarmEvaluation = ScalingSimulator.Timing.HIRES_ALARM_EVALUATION;

    @Option(names = "--verbose",
            description = "Also print each capacity decision (to stderr).")
    boolean verbose;

    @Override
    public Integer call() {
        ScalingPolicy policy = policyFile == null ? ScalingPolicy.packaged() : ScalingPolicy.load(policyFile);
        ScalingSimulator.Timing source = ScalingSimulator.Timing.defaults(policy);
        double period = metricPeriod == null ? source.metricPeriod() : metricPeriod;
        ScalingSimulator.Timing timing = new ScalingSimulator.Timing(period,
                metricDelay == null ? source.metricDelay() : metricDelay,
                alarmEvaluation == null ? source.alarmEvaluation() : alarmEvaluation,
                periodPhase == null ? period / 2 : periodPhase, activityDelay, coldBoot, imagePull, warmStart,
                appStart, job, terminate, billingMinimum, warmPool, D.horizon());
        double timeout = resultTimeout == null ? policy.callers().resultTimeoutSeconds() : resultTimeout;
        System.err.println("# " + timing + " resultTimeout=" + timeout);
        ScalingSimulator shipped = new ScalingSimulator(policy, timing, timeout);
        ScalingSimulator hires = new ScalingSimulator(policy,
                timing.withTrigger(hiresPeriod, hiresMetricDelay, hiresAlarmEvaluation), timeout);
        if (highResolution) {
            System.err.println("# high resolution: " + hires.timing());
        }
        List<ScalingSimulator.Result> results = new ArrayList<>();
        List<ScalingSimulator.Scenario> shippedScenarios = scenarios(shipped, "");
        List<ScalingSimulator.Scenario> hiresScenarios = highResolution ? scenarios(hires, "@hires") : List.of();
        for (int i = 0; i < shippedScenarios.size(); i++) {
            results.add(print(shipped.run(shippedScenarios.get(i))));
            if (highResolution) {
                results.add(print(hires.run(hiresScenarios.get(i))));
            }
        }
        results.add(printLongestWait(shipped, results, "", policy, timeout));
        if (highResolution) {
            results.add(printLongestWait(hires, results, "@hires", policy, timeout));
        }
        int status = 0;
        for (ScalingSimulator.Result result : results) {
            if (!result.ok()) {
                System.err.printf("simulate: FAILED scenario=%s requests=%d lost=%d timeouts=%d "
                                + "lowered_while_in_flight=%d stopped_busy=%d%n", result.scenario(), result.requests(),
                        result.lost(), result.timeouts(), result.loweredWhileInFlight(),
                        result.stoppedBusyInstances());
                status = 1;
            }
        }
        return status;
    }

    /** The bursts, then (unless --no-scenarios) the simulator's other scenarios, each name with {@code suffix}. */
    private List<ScalingSimulator.Scenario> scenarios(ScalingSimulator simulator, String suffix) {
        List<ScalingSimulator.Scenario> list = new ArrayList<>();
        for (int requests : bursts) {
            list.add(ScalingSimulator.Scenario.burst(requests, simulator.timing()));
        }
        if (scenarios) {
            list.addAll(simulator.scenarios());
        }
        return list.stream().map(s -> s.named(s.name() + suffix)).toList();
    }

    /**
     * Prints the longest wait of a caller over the printed scenarios with {@code suffix} and over every burst at every
     * phase of the period (1 s steps), beside the policy's timeouts; returns that outcome.
     */
    private ScalingSimulator.Result printLongestWait(ScalingSimulator simulator, List<ScalingSimulator.Result> printed,
                                                     String suffix, ScalingPolicy policy, double timeout) {
        List<ScalingSimulator.Result> candidates = new ArrayList<>(printed.stream()
                .filter(r -> suffix.isEmpty() ? !r.scenario().contains("@") : r.scenario().endsWith(suffix))
                .toList());
        for (int requests : bursts) {
            ScalingSimulator.Result worst = simulator.worstPhase(requests, 1);
            candidates.add(worst.named(worst.scenario() + suffix));
        }
        ScalingSimulator.Result worst = candidates.stream()
                .max(Comparator.comparingDouble(ScalingSimulator.Result::longestWaitSeconds)).orElseThrow();
        System.out.printf(Locale.ROOT, "simulate: callers%s longest_wait_s=%.0f (scenario=%s requests=%d; every "
                        + "scenario above and every burst at every phase, 1 s steps) result_timeout_s=%.0f "
                        + "client_timeout_s=%d load_balancer_idle_timeout_s=%d%n", suffix,
                worst.longestWaitSeconds(), worst.scenario(), worst.requests(), timeout,
                policy.callers().clientTimeoutSeconds(), policy.callers().loadBalancerIdleTimeoutSeconds());
        return worst;
    }

    private ScalingSimulator.Result print(ScalingSimulator.Result result) {
        if (verbose) {
            result.decisions().forEach(d -> System.err.println("#   " + result.scenario() + " " + d));
        }
        System.out.println(result.line());
        return result;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new SimulateCommand()).execute(args));
    }
}
