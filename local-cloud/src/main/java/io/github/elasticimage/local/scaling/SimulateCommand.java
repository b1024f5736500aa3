package io.github.elasticimage.local.scaling;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code make simulate}: the scaling policy on AWS-like timing for bursts of 7, 20 and 100 requests, one line each.
 * Exits 1 if a burst loses a request or capacity ever went down while work was in flight.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Replays scaling-policy.json in simulated time with AWS-like delays, one line per burst.")
public final class SimulateCommand implements Callable<Integer> {

    private static final ScalingSimulator.Timing D = ScalingSimulator.Timing.defaults();

    @Option(names = "--policy",
            description = "Policy file (default: the scaling-policy.json packaged in this jar).")
    Path policyFile;

    @Option(names = "--bursts", split = ",", defaultValue = "7,20,100",
            description = "Burst sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> bursts;

    @Option(names = "--metric-delay",
            description = "Seconds from a period's end to its datapoint reaching CloudWatch (default: ${DEFAULT-VALUE}).")
    double metricDelay = D.metricDelay();

    @Option(names = "--alarm-evaluation",
            description = "Seconds from a datapoint's arrival to the alarm acting on it (default: ${DEFAULT-VALUE}).")
    double alarmEvaluation = D.alarmEvaluation();

    @Option(names = "--period-phase",
            description = "Seconds from the burst to the end of the running period (default: ${DEFAULT-VALUE}).")
    double periodPhase = D.periodPhase();

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

    @Option(names = "--warm-pool", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Use the warm pool (default: on; --no-warm-pool launches every instance cold).")
    boolean warmPool;

    @Option(names = "--verbose",
            description = "Also print each capacity decision (to stderr).")
    boolean verbose;

    @Override
    public Integer call() {
        ScalingPolicy policy = policyFile == null ? ScalingPolicy.packaged() : ScalingPolicy.load(policyFile);
        ScalingSimulator.Timing timing = new ScalingSimulator.Timing(metricDelay, alarmEvaluation, periodPhase,
                activityDelay, coldBoot, imagePull, warmStart, appStart, job, terminate, warmPool, D.horizon());
        System.err.println("# " + timing);
        ScalingSimulator simulator = new ScalingSimulator(policy, timing);
        int status = 0;
        for (int requests : bursts) {
            ScalingSimulator.Result result = simulator.run(requests);
            if (verbose) {
                result.decisions().forEach(d -> System.err.println("#   " + d));
            }
            System.out.println(result.line());
            if (result.answered() != requests || result.loweredWhileInFlight() > 0 || result.stoppedBusyInstances() > 0) {
                System.err.printf("simulate: FAILED requests=%d answered=%d lowered_while_in_flight=%d "
                        + "stopped_busy=%d%n", requests, result.answered(), result.loweredWhileInFlight(),
                        result.stoppedBusyInstances());
                status = 1;
            }
        }
        return status;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new SimulateCommand()).execute(args));
    }
}
