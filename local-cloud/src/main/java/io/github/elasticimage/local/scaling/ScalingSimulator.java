package io.github.elasticimage.local.scaling;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Replays the scaling policy on AWS-like timing, in simulated time: a burst of requests lands on the queue at t = 0 and
 * the same {@link ScalingEngine} the local autoscaler uses decides, but it only sees what CloudWatch would show it (one
 * sample per one-minute period, delivered late, evaluated once per period, GroupDesiredCapacity as late as the queue
 * metrics), and instances take AWS-like times to boot, pull the image and load the model.
 */
public final class ScalingSimulator {

    /**
     * Timing assumptions, in seconds. Defaults come from public figures (see docs/scaling.md).
     *
     * @param metricDelay   a period's datapoint reaches CloudWatch this long after the period ends
     * @param alarmEvaluation the alarm evaluates a delivered datapoint this long after it arrived
     * @param periodPhase   the burst lands this far before the end of a period (average: half a period)
     * @param activityDelay alarm action to scaling activity to instance launch request
     * @param coldBoot      new instance: launch to Docker running (EC2 boot, user data)
     * @param imagePull     new instance: pulling the classifier image from ECR
     * @param warmStart     warm-pool instance (stopped, image already on its volume): start to Docker running
     * @param appStart      container start to polling: JVM, DJL engine, model load and warm-up
     * @param job           one request: S3 get, decode, inference, S3 put, answer, delete
     * @param terminate     worker stops (drain, shutdown, back to the pool or terminated)
     * @param warmPool      whether the group has a warm pool
     * @param horizon       give up after this much simulated time
     */
    public record Timing(double metricDelay, double alarmEvaluation, double periodPhase, double activityDelay,
                        double coldBoot, double imagePull, double warmStart, double appStart, double job, double terminate,
                        boolean warmPool, double horizon) {

        public static Timing defaults() {
            return new Timing(45, 15, 30, 5, 45, 30, 20, 8, 0.3, 30, true, 3600);
        }
    }

    /**
     * One burst's outcome.
     *
     * @param requests                requests in the burst
     * @param peakInstances           most instances launched or running at once
     * @param allDoneSeconds          when the last request was answered
     * @param scaledInSeconds         when the group was back at min with no instance left running
     * @param instanceMinutes         billed instance time (launch to stop), in minutes
     * @param loweredWhileInFlight    times capacity went down while a message was in flight (must be 0)
     * @param stoppedBusyInstances    instances stopped while holding a message (must be 0)
     * @param answered                requests answered (must equal requests)
     * @param decisions               the timeline of alarm evaluations that changed capacity
     */
    public record Result(int requests, int peakInstances, double allDoneSeconds, double scaledInSeconds,
                         double instanceMinutes, int loweredWhileInFlight, int stoppedBusyInstances, int answered,
                         List<String> decisions) {

        public String line() {
            return String.format(Locale.ROOT,
                    "simulate: requests=%d peak_instances=%d all_done_s=%.0f scaled_in_s=%.0f instance_minutes=%.1f",
                    requests, peakInstances, allDoneSeconds, scaledInSeconds, instanceMinutes);
        }
    }

    private static final double TICK = 0.1;

    private final ScalingPolicy policy;
    private final Timing timing;

    public ScalingSimulator(ScalingPolicy policy, Timing timing) {
        this.policy = policy;
        this.timing = timing;
    }

    private static final class Instance {
        final double launchedAt;
        final double readyAt;
        final double warmupEndsAt;
        double busyUntil = -1;
        double stoppedAt = Double.NaN;

        Instance(double launchedAt, double readyAt, double warmupEndsAt) {
            this.launchedAt = launchedAt;
            this.readyAt = readyAt;
            this.warmupEndsAt = warmupEndsAt;
        }

        boolean stopped() {
            return !Double.isNaN(stoppedAt);
        }

        boolean busy(double t) {
            return busyUntil > t;
        }
    }

    public Result run(int requests) {
        Run run = new Run(requests);
        long ticks = Math.round(timing.horizon() / TICK);
        for (long tick = 0; tick <= ticks; tick++) {
            double t = tick * TICK;
            run.serve(t);
            run.sample(t);
            run.evaluateDelivered(t);
            if (run.settled(t)) {
                break;
            }
        }
        return run.result();
    }

    /** The state of one run, advanced tick by tick in the order the seams of {@link #run} name. */
    private final class Run {
        final int requests;
        final ScalingEngine engine = new ScalingEngine(policy);
        final double period = policy.metric().periodSeconds();
        final List<Instance> instances = new ArrayList<>();
        final List<String> decisions = new ArrayList<>();
        /** Datapoints (Maximum per period) of the periods that ended, waiting for their delivery time. */
        final List<Datapoint> datapoints = new ArrayList<>();
        int desired = policy.minCapacity();
        long visible;
        long inFlight;
        int answered;
        double allDone = Double.NaN;
        double scaledIn = Double.NaN;
        int peak;
        int lowered;
        int stoppedBusy;
        double periodEnd = timing.periodPhase();

        Run(int requests) {
            this.requests = requests;
            this.visible = requests;
            for (int i = 0; i < policy.minCapacity(); i++) {
                instances.add(new Instance(0, 0, 0));
            }
        }

        /** Jobs finish; idle running instances take the next visible message (one thread each). */
        void serve(double t) {
            for (Instance instance : instances) {
                if (t < instance.readyAt) {
                    continue;
                }
                if (instance.busyUntil > 0 && instance.busyUntil <= t) {
                    instance.busyUntil = -1;
                    inFlight--;
                    answered++;
                }
                // A stopping instance drains: it finishes its job (SIGTERM, lifecycle hook) but takes no new one.
                if (!instance.stopped() && !instance.busy(t) && visible > 0) {
                    visible--;
                    inFlight++;
                    instance.busyUntil = t + timing.job();
                }
            }
            if (answered == requests && Double.isNaN(allDone)) {
                allDone = t;
            }
        }

        /**
         * CloudWatch: SQS reports its approximate counts once a period (one sample per period, so Maximum is that
         * sample, taken at one instant for both counts), like the group's GroupDesiredCapacity. The datapoint reaches
         * CloudWatch metricDelay after the period ends, the alarm alarmEvaluation later.
         */
        void sample(double t) {
            if (t >= periodEnd) {
                datapoints.add(new Datapoint(periodEnd + timing.metricDelay() + timing.alarmEvaluation(), visible,
                        inFlight, desired));
                periodEnd += period;
            }
        }

        /** The alarms evaluate each delivered datapoint; the step policy acts on the group. */
        void evaluateDelivered(double t) {
            while (!datapoints.isEmpty() && datapoints.get(0).deliveredAt() <= t) {
                Datapoint point = datapoints.remove(0);
                ScalingEngine.Action action = engine.evaluate(point.visible(), point.inFlight(), point.desired());
                if (action instanceof ScalingEngine.Action.Add add) {
                    // Step scaling warm-up: capacity still warming up from earlier steps counts against this one.
                    int warming = (int) instances.stream()
                            .filter(x -> !x.stopped() && x.warmupEndsAt > t).count();
                    action = new ScalingEngine.Action.Add(Math.max(0, add.adjustment() - warming), add.excess());
                }
                int next = engine.apply(action, desired);
                if (next != desired) {
                    decisions.add(String.format(Locale.ROOT,
                            "t=%.0f datapoint visible=%d inFlight=%d desiredSeen=%d -> %s desired %d -> %d",
                            t, point.visible(), point.inFlight(), point.desired(), action, desired, next));
                }
                if (next < desired && inFlight > 0) {
                    lowered++;
                }
                desired = next;
                stoppedBusy += resize(instances, desired, t);
            }
        }

        /** Tracks the peak; true once every request is answered and the group is back at min with nothing running. */
        boolean settled(double t) {
            int live = (int) instances.stream().filter(x -> !x.stopped()).count();
            peak = Math.max(peak, live);
            if (answered == requests && Double.isNaN(scaledIn) && desired == policy.minCapacity()
                    && live == policy.minCapacity()
                    && instances.stream().allMatch(x -> !x.stopped() || x.stoppedAt <= t)) {
                scaledIn = t;
                return true;
            }
            return false;
        }

        /** Bills each instance from launch to stop (or to the end of the run). */
        Result result() {
            double end = Double.isNaN(scaledIn) ? timing.horizon() : scaledIn;
            double instanceSeconds = 0;
            for (Instance instance : instances) {
                double stop = instance.stopped() ? Math.min(instance.stoppedAt, end) : end;
                instanceSeconds += Math.max(0, stop - instance.launchedAt);
            }
            return new Result(requests, peak, allDone, scaledIn, instanceSeconds / 60.0, lowered, stoppedBusy,
                    answered, decisions);
        }
    }

    /** One period's sample as the alarm receives it, {@code deliveredAt} seconds into the run. */
    private record Datapoint(double deliveredAt, long visible, long inFlight, int desired) {
    }

    /** Launches or stops instances to match {@code desired}; returns how many stopped instances held a message. */
    private int resize(List<Instance> instances, int desired, double t) {
        List<Instance> live = instances.stream().filter(x -> !x.stopped()).toList();
        int launch = desired - live.size();
        for (int i = 0; i < launch; i++) {
            double boot = timing.warmPool() ? timing.warmStart() : timing.coldBoot() + timing.imagePull();
            double ready = t + timing.activityDelay() + boot + timing.appStart();
            instances.add(new Instance(t + timing.activityDelay(), ready, t + policy.instanceWarmupSeconds()));
        }
        int busyStopped = 0;
        // Scale-in: the Auto Scaling group does not know which instance is idle; stop the newest ones.
        for (int i = live.size() - 1; i >= 0 && launch < 0; i--, launch++) {
            Instance instance = live.get(i);
            if (instance.busy(t)) {
                busyStopped++;
            }
            instance.stoppedAt = Math.max(t, instance.busyUntil) + timing.terminate();
        }
        return busyStopped;
    }
}
