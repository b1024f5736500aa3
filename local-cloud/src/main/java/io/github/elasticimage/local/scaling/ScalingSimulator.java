package io.github.elasticimage.local.scaling;

import picocli.CommandLine.Option;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * Replays the scaling policy on AWS-like timing, in simulated time: requests land on the queue at the times a
 * {@link Scenario} names and the same {@link ScalingEngine} the local autoscaler uses decides, but it only sees what
 * CloudWatch would show it (one sample per period, delivered late, evaluated once per period, GroupDesiredCapacity as
 * late as the queue metrics), an alarm that stays in ALARM invokes its policy again only once a minute, and instances
 * take AWS-like times to boot, pull the image and load the model. The group's instance warm-up starts when an instance
 * goes InService and blocks scale-in until every new instance has finished it. The warm
 * pool is the group's: at most {@code maxGroupPreparedCapacity} running + prepared instances, so a scale-out from min
 * takes that many from the pool (Hibernated: the warmed worker resumes; Stopped: it starts again, cold JVM) and
 * launches the rest cold; scale-in returns running instances to the pool up to its size. Each
 * request's caller gives up after the web tier's RESULT_TIMEOUT on AWS ({@code callers.resultTimeoutSeconds} of the
 * policy): a request answered later, or never, counts as a timeout. Messages are served oldest first (a standard SQS
 * queue only roughly keeps that order).
 */
public final class ScalingSimulator {

    /**
     * The assumed AWS delays and settings, in seconds. Defaults come from public figures and from the policy file (see
     * docs/scaling.md); every one is an option of {@code make simulate}.
     *
     * @param metricPeriod     the alarms' period: one queue sample per period (default: the policy's metric period)
     * @param metricDelay      a period's datapoint reaches CloudWatch this long after the period ends
     * @param alarmEvaluation  the alarm evaluates a delivered datapoint this long after it arrived
     * @param periodPhase      a {@link Scenario#burst} lands this far before the end of a period (default: half a
     *                         period)
     * @param activityDelay    alarm action to scaling activity to instance launch request
     * @param coldBoot         new instance: launch to Docker running (EC2 boot, user data)
     * @param imagePull        new instance: pulling the classifier image from ECR
     * @param warmStart        Stopped warm-pool instance (image already on its volume): start to Docker running; its
     *                         worker then starts like a new one ({@code appStart}, cold JVM)
     * @param appStart         container start to polling: JVM, DJL engine, model load and warm-up run
     * @param hibernatedResume Hibernated warm-pool instance: start to its RAM restored from the root volume and its
     *                         warmed worker polling (the lifecycle gate opens within one IMDS poll); no appStart
     * @param coldJvmFactor    a freshly started worker JVM takes this many times the job time ...
     * @param jitWarmup        ... for its first this many seconds (JIT still compiling; a resumed one is warm)
     * @param job              one request on one warm worker: S3 get, decode, inference, S3 put, answer, delete
     *                         (default: 1 / the policy's worker.requestsPerSecond)
     * @param terminate        worker stops (drain, shutdown, back to the pool or terminated)
     * @param billingMinimum   EC2 bills every start of an instance (a resume too) for at least this long (Linux: 60 s)
     * @param instanceWarmup   the group's default instance warm-up (default: the policy's instanceWarmupSeconds): it
     *                         starts when an instance goes InService (here: its worker polling, when the launch hook
     *                         completes); until every launched instance has finished it, the scale-in policy does not
     *                         act, and a scale-out step counts the capacity still launching or warming up against its
     *                         adjustment
     * @param alarmRepeat      an alarm invokes its Auto Scaling action when it goes into ALARM, then again at its first
     *                         evaluation at least this long after the last invocation while it stays there (AWS: once
     *                         a minute, whatever the period; 0: at every breaching evaluation)
     * @param warmPool         whether the group has a warm pool
     * @param hibernated       pool state Hibernated (else Stopped); default: the policy's warmPool.poolState
     * @param maxPrepared      warm pool: most instances running plus prepared (max_group_prepared_capacity); the pool
     *                         holds this minus the desired capacity, the rest of a scale-out launches cold
     * @param horizon          give up after this much simulated time
     */
    public record Timing(double metricPeriod, double metricDelay, double alarmEvaluation, double periodPhase,
                         double activityDelay, double coldBoot, double imagePull, double warmStart, double appStart,
                         double hibernatedResume, double coldJvmFactor, double jitWarmup, double job,
                         double terminate, double billingMinimum, double instanceWarmup, double alarmRepeat,
                         boolean warmPool, boolean hibernated, int maxPrepared, double horizon) {

        /** One-minute SQS metrics delivered 45 s late, evaluated 15 s later. */
        public static final double METRIC_DELAY = 45;
        public static final double ALARM_EVALUATION = 15;
        /**
         * A high-resolution custom metric (the backlog published by the web tier every 10 s, one-second storage
         * resolution) and a 10 s alarm: published and stored within about 5 s, evaluated within one 10 s period.
         */
        public static final double HIRES_PERIOD = 10;
        public static final double HIRES_METRIC_DELAY = 5;
        public static final double HIRES_ALARM_EVALUATION = 10;
        /** An alarm in ALARM invokes its Auto Scaling action again once a minute, regardless of its period. */
        public static final double ALARM_REPEAT = 60;

        public Timing {
            if (metricPeriod <= 0 || periodPhase < 0 || periodPhase > metricPeriod) {
                throw new IllegalArgumentException("need metricPeriod > 0 and 0 <= periodPhase <= metricPeriod, got "
                        + metricPeriod + " and " + periodPhase);
            }
            if (instanceWarmup < 0 || alarmRepeat < 0) {
                throw new IllegalArgumentException("need instanceWarmup >= 0 and alarmRepeat >= 0, got "
                        + instanceWarmup + " and " + alarmRepeat);
            }
            if (job <= 0 || coldJvmFactor < 1 || maxPrepared < 0) {
                throw new IllegalArgumentException("need job > 0, coldJvmFactor >= 1, maxPrepared >= 0, got " + job
                        + ", " + coldJvmFactor + ", " + maxPrepared);
            }
        }

        /**
         * The defaults for {@code policy}: the period of its primary metric source and that source's delays
         * (high-resolution or one-minute), bursts landing mid-period, its instance warm-up, its warm pool and its worker
         * throughput.
         */
        public static Timing defaults(ScalingPolicy policy) {
            double period = policy.metric().periodSeconds();
            boolean hires = policy.metric().highResolution();
            return new Timing(period, hires ? HIRES_METRIC_DELAY : METRIC_DELAY,
                    hires ? HIRES_ALARM_EVALUATION : ALARM_EVALUATION, period / 2, 5, 45, 30, 20, 8, 30, 1.5, 60,
                    1 / policy.worker().requestsPerSecond(), 30, 60, policy.instanceWarmupSeconds(), ALARM_REPEAT,
                    true, policy.warmPool().hibernated(),
                    policy.warmPool().maxGroupPreparedCapacity(), 3600);
        }

        /** A copy to change some values of; {@link Builder#build()} validates again. */
        public Builder toBuilder() {
            Builder b = new Builder();
            b.metricPeriod = metricPeriod;
            b.metricDelay = metricDelay;
            b.alarmEvaluation = alarmEvaluation;
            b.periodPhase = periodPhase;
            b.activityDelay = activityDelay;
            b.coldBoot = coldBoot;
            b.imagePull = imagePull;
            b.warmStart = warmStart;
            b.appStart = appStart;
            b.hibernatedResume = hibernatedResume;
            b.coldJvmFactor = coldJvmFactor;
            b.jitWarmup = jitWarmup;
            b.job = job;
            b.terminate = terminate;
            b.billingMinimum = billingMinimum;
            b.instanceWarmup = instanceWarmup;
            b.alarmRepeat = alarmRepeat;
            b.warmPool = warmPool;
            b.hibernated = hibernated;
            b.maxPrepared = maxPrepared;
            b.horizon = horizon;
            return b;
        }

        /**
         * Mutable copy of a {@link Timing}; the field names are the record's. The AWS delays whose defaults do not
         * depend on the policy are also {@code make simulate}'s options, declared here once: {@link SimulateCommand}
         * mixes in a builder of the defaults (picocli {@code @Mixin}), so an option's default is its field's value
         * there and its value goes straight into the timing.
         */
        public static final class Builder {
            public double metricPeriod;
            public double metricDelay;
            public double alarmEvaluation;
            public double periodPhase;

            @Option(names = "--activity-delay",
                    description = "Seconds from alarm action to instance launch (default: ${DEFAULT-VALUE}).")
            public double activityDelay;

            @Option(names = "--cold-boot",
                    description = "Seconds for a new instance to boot to Docker running (default: ${DEFAULT-VALUE}).")
            public double coldBoot;

            @Option(names = "--image-pull",
                    description = "Seconds to pull the classifier image on a new instance (default: ${DEFAULT-VALUE}).")
            public double imagePull;

            @Option(names = "--warm-start",
                    description = "Seconds to start a Stopped warm-pool instance to Docker running; its worker then "
                            + "starts (--app-start) (default: ${DEFAULT-VALUE}).")
            public double warmStart;

            @Option(names = "--app-start",
                    description = "Seconds from container start to polling: JVM, model load, warm-up (default: "
                            + "${DEFAULT-VALUE}).")
            public double appStart;

            @Option(names = "--hibernated-resume",
                    description = "Seconds to resume a Hibernated warm-pool instance to its warmed worker polling: "
                            + "start, RAM read back from the root volume, one lifecycle-gate poll (default: "
                            + "${DEFAULT-VALUE}).")
            public double hibernatedResume;

            @Option(names = "--cold-jvm-factor",
                    description = "A freshly started worker JVM takes this many times the job time (default: "
                            + "${DEFAULT-VALUE}) ...")
            public double coldJvmFactor;

            @Option(names = "--jit-warmup",
                    description = "... for its first this many seconds; a resumed (Hibernated) worker is warm "
                            + "(default: ${DEFAULT-VALUE}).")
            public double jitWarmup;

            public double job;

            @Option(names = "--terminate",
                    description = "Seconds for a stopping worker to drain and stop (default: ${DEFAULT-VALUE}).")
            public double terminate;

            @Option(names = "--billing-minimum",
                    description = "Seconds EC2 bills at least per instance start (default: ${DEFAULT-VALUE}).")
            public double billingMinimum;

            public double instanceWarmup;

            @Option(names = "--alarm-repeat",
                    description = "Seconds before an alarm that stays in ALARM invokes its scaling action again; AWS: "
                            + "once a minute whatever the period (default: ${DEFAULT-VALUE}; 0: every breaching "
                            + "evaluation).")
            public double alarmRepeat;

            public boolean warmPool;
            public boolean hibernated;
            public int maxPrepared;
            public double horizon;

            public Timing build() {
                return new Timing(metricPeriod, metricDelay, alarmEvaluation, periodPhase, activityDelay, coldBoot,
                        imagePull, warmStart, appStart, hibernatedResume, coldJvmFactor, jitWarmup, job, terminate,
                        billingMinimum, instanceWarmup, alarmRepeat, warmPool, hibernated, maxPrepared, horizon);
            }
        }

        public Timing withWarmPool(boolean on) {
            Builder b = toBuilder();
            b.warmPool = on;
            return b.build();
        }

        /** The warm pool in state Hibernated ({@code true}) or Stopped, holding up to {@code prepared}. */
        public Timing withPool(boolean hibernatedState, int prepared) {
            Builder b = toBuilder();
            b.warmPool = true;
            b.hibernated = hibernatedState;
            b.maxPrepared = prepared;
            return b.build();
        }

        public Timing withPeriodPhase(double phase) {
            Builder b = toBuilder();
            b.periodPhase = phase;
            return b.build();
        }

        public Timing withJob(double seconds) {
            Builder b = toBuilder();
            b.job = seconds;
            return b.build();
        }

        public Timing withInstanceWarmup(double seconds) {
            Builder b = toBuilder();
            b.instanceWarmup = seconds;
            return b.build();
        }

        public Timing withAlarmRepeat(double seconds) {
            Builder b = toBuilder();
            b.alarmRepeat = seconds;
            return b.build();
        }

        public Timing withBillingMinimum(double seconds) {
            Builder b = toBuilder();
            b.billingMinimum = seconds;
            return b.build();
        }

        /** Another trigger (period, delivery and evaluation delays); bursts land mid-period of the new period. */
        public Timing withTrigger(double period, double delay, double evaluation) {
            Builder b = toBuilder();
            b.metricPeriod = period;
            b.metricDelay = delay;
            b.alarmEvaluation = evaluation;
            b.periodPhase = period / 2;
            return b.build();
        }

        /** The 10 s high-resolution custom-metric trigger (see {@link #HIRES_PERIOD}). */
        public Timing highResolution() {
            return withTrigger(HIRES_PERIOD, HIRES_METRIC_DELAY, HIRES_ALARM_EVALUATION);
        }

        /** Launch to polling of an instance from the warm pool (per its state). */
        public double pooledBoot() {
            return hibernated ? hibernatedResume : warmStart + appStart;
        }

        /** Launch to polling of a new instance (boot, image pull, worker start). */
        public double coldLaunch() {
            return coldBoot + imagePull + appStart;
        }
    }

    /**
     * What arrives when: request arrival times in seconds on a grid where a period ends every
     * {@link Timing#metricPeriod()} seconds, the first at {@code metricPeriod}. Reported times count from the first
     * arrival.
     *
     * @param name     the {@code scenario=} of the line
     * @param arrivals arrival times, sorted
     */
    public record Scenario(String name, double[] arrivals) {

        public Scenario {
            arrivals = arrivals.clone();
            Arrays.sort(arrivals);
            if (arrivals.length == 0 || arrivals[0] < 0) {
                throw new IllegalArgumentException("a scenario needs arrivals at t >= 0: " + name);
            }
        }

        /** {@code requests} at once, at {@code at}. */
        public static Scenario at(String name, int requests, double at) {
            double[] arrivals = new double[requests];
            Arrays.fill(arrivals, at);
            return new Scenario(name, arrivals);
        }

        /** {@code requests} at once, {@link Timing#periodPhase()} before a period ends. */
        public static Scenario burst(int requests, Timing timing) {
            return at("burst", requests, timing.metricPeriod() - timing.periodPhase());
        }

        /** {@code requests}, one every {@code every} seconds from {@code from}. */
        public static Scenario trickle(String name, int requests, double every, double from) {
            double[] arrivals = new double[requests];
            for (int i = 0; i < requests; i++) {
                arrivals[i] = from + i * every;
            }
            return new Scenario(name, arrivals);
        }

        /** Both scenarios' requests, under {@code name}. */
        public Scenario and(String name, Scenario other) {
            double[] all = Arrays.copyOf(arrivals, arrivals.length + other.arrivals.length);
            System.arraycopy(other.arrivals, 0, all, arrivals.length, other.arrivals.length);
            return new Scenario(name, all);
        }

        public Scenario named(String other) {
            return new Scenario(other, arrivals);
        }

        public int requests() {
            return arrivals.length;
        }
    }

    /**
     * One scenario's outcome; times in seconds from the first arrival.
     *
     * @param scenario             the scenario's name
     * @param requests             requests in the scenario
     * @param peakInstances        most instances launched or running at once
     * @param firstAnswerSeconds   when the first request was answered
     * @param allDoneSeconds       when the last request was answered
     * @param scaledInSeconds      when the group was back at min with no instance left running
     * @param instanceMinutes      billed instance time (launch to stop, at least {@link Timing#billingMinimum()} per
     *                             start), in minutes
     * @param timeouts             requests answered after the caller's timeout, or never (must be 0)
     * @param lost                 requests never answered (must be 0)
     * @param longestWaitSeconds   the longest any caller waited for its answer
     * @param loweredWhileInFlight times capacity went down while a message was in flight (must be 0)
     * @param stoppedBusyInstances instances stopped while holding a message (must be 0)
     * @param firstScaleOutAt      simulated time (not from the first arrival) of the first capacity increase, or NaN
     * @param firstScaleInAt       simulated time of the first capacity decrease, or NaN
     * @param fromPool             launches served from the warm pool (the others launched cold)
     * @param decisions            the timeline of alarm evaluations that changed capacity
     */
    public record Result(String scenario, int requests, int peakInstances, double firstAnswerSeconds,
                         double allDoneSeconds, double scaledInSeconds, double instanceMinutes, int timeouts,
                         int lost, double longestWaitSeconds, int loweredWhileInFlight, int stoppedBusyInstances,
                         double firstScaleOutAt, double firstScaleInAt, int fromPool, List<String> decisions) {

        public String line() {
            return String.format(Locale.ROOT,
                    "simulate: scenario=%s requests=%d peak_instances=%d first_answer_s=%.0f all_done_s=%.0f "
                            + "scaled_in_s=%.0f instance_minutes=%.1f timeouts=%d lost=%d",
                    scenario, requests, peakInstances, firstAnswerSeconds, allDoneSeconds, scaledInSeconds,
                    instanceMinutes, timeouts, lost);
        }

        public int answered() {
            return requests - lost;
        }

        /** The same outcome under another scenario name. */
        public Result named(String name) {
            return new Result(name, requests, peakInstances, firstAnswerSeconds, allDoneSeconds, scaledInSeconds,
                    instanceMinutes, timeouts, lost, longestWaitSeconds, loweredWhileInFlight, stoppedBusyInstances,
                    firstScaleOutAt, firstScaleInAt, fromPool, decisions);
        }

        /** Nothing lost, no caller timed out, no capacity removed while anything was in flight. */
        public boolean ok() {
            return lost == 0 && timeouts == 0 && loweredWhileInFlight == 0 && stoppedBusyInstances == 0;
        }
    }

    private static final double TICK = 0.1;

    private final ScalingPolicy policy;
    private final Timing timing;
    private final double resultTimeout;

    /** Callers give up after the policy's {@code callers.resultTimeoutSeconds}. */
    public ScalingSimulator(ScalingPolicy policy, Timing timing) {
        this(policy, timing, policy.callers().resultTimeoutSeconds());
    }

    /** Callers give up after {@code resultTimeoutSeconds} (the --result-timeout override). */
    public ScalingSimulator(ScalingPolicy policy, Timing timing, double resultTimeoutSeconds) {
        this.policy = policy;
        this.timing = timing;
        this.resultTimeout = resultTimeoutSeconds;
    }

    public Timing timing() {
        return timing;
    }

    private static final class Instance {
        final double launchedAt;
        /** InService: its worker polls (the launch hook completed); its warm-up starts then. */
        final double readyAt;
        /** readyAt + the instance warm-up: until then it blocks scale-in and counts against a scale-out step. */
        final double warmupEndsAt;
        /** Until then its JVM is still compiling: jobs take coldJvmFactor times longer. */
        final double coldUntil;
        double busyUntil = -1;
        double jobArrival;
        double stoppedAt = Double.NaN;

        Instance(double launchedAt, double readyAt, double warmupEndsAt, double coldUntil) {
            this.launchedAt = launchedAt;
            this.readyAt = readyAt;
            this.warmupEndsAt = warmupEndsAt;
            this.coldUntil = coldUntil;
        }

        boolean stopped() {
            return !Double.isNaN(stoppedAt);
        }

        boolean busy(double t) {
            return busyUntil > t;
        }
    }

    /** A burst of {@code requests} landing {@link Timing#periodPhase()} before a period ends. */
    public Result run(int requests) {
        return run(Scenario.burst(requests, timing));
    }

    public Result run(Scenario scenario) {
        Run run = new Run(scenario);
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

    /**
     * The scenarios beyond single bursts at the default phase, for this simulator's timing: 100 requests just after a
     * period starts (they wait a whole period for their sample: the worst phase), mid-period and just before it ends;
     * two waves (7, then 100 while the first wave's instances boot); a steady trickle (one request every 10 s for 10
     * minutes, off the sample instants); and a burst during scale-in (20, then 100 while those 20 instances stop).
     * The waves and the scale-in burst are placed from a run of their first part alone.
     */
    public List<Scenario> scenarios() {
        double period = timing.metricPeriod();
        List<Scenario> list = new ArrayList<>();
        list.add(Scenario.at("burst-period-start", 100, TICK));
        list.add(Scenario.at("burst-mid-period", 100, period / 2));
        list.add(Scenario.at("burst-period-end", 100, period - TICK));
        double from = period - timing.periodPhase();
        Scenario first = Scenario.at("first-wave", 7, from);
        double booting = run(first).firstScaleOutAt() + timing.activityDelay() + firstBootSeconds() / 2;
        list.add(first.and("two-waves", Scenario.at("second-wave", 100, booting)));
        // A quarter interval after mid-period: the arrivals fall between the sample instants and the alarm actions
        // (of the 60 s and of the 10 s trigger); see docs/scaling.md for a trickle that hits them.
        list.add(Scenario.trickle("steady-trickle", 60, 10, from + 2.5));
        Scenario before = Scenario.at("before-scale-in", 20, from);
        double stopping = run(before).firstScaleInAt() + timing.terminate() / 2;
        list.add(before.and("burst-during-scale-in", Scenario.at("during-scale-in", 100, stopping)));
        return list;
    }

    /**
     * A burst of {@code requests} landing at every phase of the period, in {@code step} s steps from just after a
     * period starts to its end; the outcome whose caller waited longest.
     */
    public Result worstPhase(int requests, double step) {
        Result worst = null;
        for (double at = TICK; at <= timing.metricPeriod(); at += step) {
            Result result = run(Scenario.at("burst-" + Math.round(at) + "s-into-period", requests, at));
            if (worst == null || result.longestWaitSeconds() > worst.longestWaitSeconds()
                    || result.timeouts() > worst.timeouts()) {
                worst = result;
            }
        }
        return worst;
    }

    /** Launch (or start from the warm pool) to polling, for the first instance of a scale-out from min. */
    private double firstBootSeconds() {
        return poolTarget(policy.minCapacity()) > 0 ? timing.pooledBoot() : timing.coldLaunch();
    }

    /**
     * Instances the warm pool holds at desired capacity {@code desired}: max(minSize, maxPrepared - desired), none
     * without a pool.
     */
    private int poolTarget(int desired) {
        if (!timing.warmPool()) {
            return 0;
        }
        return Math.max(policy.warmPool().minSize(), timing.maxPrepared() - desired);
    }

    /** The state of one run, advanced tick by tick in the order the seams of {@link #run} name. */
    private final class Run {
        final Scenario scenario;
        final double start;
        final ScalingEngine engine = new ScalingEngine(policy);
        final List<Instance> instances = new ArrayList<>();
        final List<String> decisions = new ArrayList<>();
        /** Arrival times of the visible messages, oldest first. */
        final Deque<Double> visible = new ArrayDeque<>();
        /** Datapoints (Maximum per period) of the periods that ended, waiting for their delivery time. */
        final List<Datapoint> datapoints = new ArrayList<>();
        int arrived;
        int desired = policy.minCapacity();
        long inFlight;
        int answered;
        int timeouts;
        double longestWait;
        double firstAnswer = Double.NaN;
        double allDone = Double.NaN;
        double scaledIn = Double.NaN;
        double firstScaleOut = Double.NaN;
        double firstScaleIn = Double.NaN;
        int peak;
        int lowered;
        int stoppedBusy;
        int fromPool;
        double periodEnd = timing.metricPeriod();
        /** When each alarm last invoked its policy while in ALARM; NaN while it is not in ALARM. */
        double highInvokedAt = Double.NaN;
        double lowInvokedAt = Double.NaN;
        /** Prepared instances in the warm pool, each the time from which it can leave it (oldest first). */
        final List<Double> pool = new ArrayList<>();
        /** Billed runs of instances launched into the pool to refill it: {start, end}. */
        final List<double[]> refills = new ArrayList<>();

        Run(Scenario scenario) {
            this.scenario = scenario;
            this.start = scenario.arrivals()[0];
            for (int i = 0; i < policy.minCapacity(); i++) {
                instances.add(new Instance(0, 0, 0, 0));
            }
            for (int i = 0; i < poolTarget(policy.minCapacity()); i++) {
                pool.add(0.0);
            }
        }

        /**
         * Requests arrive; jobs finish and their callers get the answer (or already gave up); idle running instances
         * take the oldest visible message (one thread each).
         */
        void serve(double t) {
            double[] arrivals = scenario.arrivals();
            while (arrived < arrivals.length && arrivals[arrived] <= t) {
                visible.addLast(arrivals[arrived++]);
            }
            for (Instance instance : instances) {
                if (t < instance.readyAt) {
                    continue;
                }
                if (instance.busyUntil > 0 && instance.busyUntil <= t) {
                    instance.busyUntil = -1;
                    inFlight--;
                    answer(instance.jobArrival, t);
                }
                // A stopping instance drains: it finishes its job (SIGTERM, lifecycle hook) but takes no new one.
                if (!instance.stopped() && !instance.busy(t) && !visible.isEmpty()) {
                    instance.jobArrival = visible.removeFirst();
                    inFlight++;
                    instance.busyUntil = t + timing.job() * (t < instance.coldUntil ? timing.coldJvmFactor() : 1);
                }
            }
        }

        private void answer(double arrival, double t) {
            answered++;
            double wait = t - arrival;
            longestWait = Math.max(longestWait, wait);
            if (wait > resultTimeout) {
                timeouts++;
            }
            if (Double.isNaN(firstAnswer)) {
                firstAnswer = t;
            }
            if (answered == scenario.requests()) {
                allDone = t;
            }
        }

        /**
         * CloudWatch: the metric reports its counts once a period (one sample per period, so Maximum is that sample,
         * taken at one instant for both counts), like the group's GroupDesiredCapacity. The datapoint reaches
         * CloudWatch metricDelay after the period ends, the alarm alarmEvaluation later.
         */
        void sample(double t) {
            if (t >= periodEnd) {
                datapoints.add(new Datapoint(periodEnd + timing.metricDelay() + timing.alarmEvaluation(),
                        visible.size(), inFlight, desired));
                periodEnd += timing.metricPeriod();
            }
        }

        /**
         * The two alarms evaluate each delivered datapoint (the engine's verdict says which one is in ALARM: the
         * scale-out alarm on Add, the scale-in alarm on Exact). An alarm invokes its action when it goes into ALARM,
         * then at its first evaluation at least {@link Timing#alarmRepeat()} after the last invocation while it stays
         * there; the step policy acts on the group.
         */
        void evaluateDelivered(double t) {
            while (!datapoints.isEmpty() && datapoints.get(0).deliveredAt() <= t) {
                Datapoint point = datapoints.remove(0);
                ScalingEngine.Action action = engine.evaluate(point.visible(), point.inFlight(), point.desired());
                boolean high = action instanceof ScalingEngine.Action.Add;
                boolean low = action instanceof ScalingEngine.Action.Exact;
                if (high && (Double.isNaN(highInvokedAt) || t >= highInvokedAt + timing.alarmRepeat())) {
                    highInvokedAt = t;
                    invoke(action, point, t);
                } else if (low && (Double.isNaN(lowInvokedAt) || t >= lowInvokedAt + timing.alarmRepeat())) {
                    lowInvokedAt = t;
                    invoke(action, point, t);
                }
                if (!high) {
                    highInvokedAt = Double.NaN;
                }
                if (!low) {
                    lowInvokedAt = Double.NaN;
                }
            }
        }

        /** One invocation of a scaling policy by its alarm. */
        private void invoke(ScalingEngine.Action action, Datapoint point, double t) {
            if (action instanceof ScalingEngine.Action.Add add) {
                // Step scaling: capacity still launching or warming up (from earlier steps) counts against this one.
                int warming = (int) instances.stream()
                        .filter(x -> !x.stopped() && x.warmupEndsAt > t).count();
                action = new ScalingEngine.Action.Add(Math.max(0, add.adjustment() - warming), add.excess());
            }
            int next = engine.apply(action, desired);
            if (next < desired) {
                // The instance warm-up blocks scale-in by dynamic scaling policies until every new instance has
                // finished it; this invocation does nothing, the alarm invokes again a minute later.
                long warming = instances.stream().filter(x -> !x.stopped() && x.warmupEndsAt > t).count();
                if (warming > 0) {
                    decisions.add(String.format(Locale.ROOT,
                            "t=%.0f datapoint visible=%d inFlight=%d desiredSeen=%d -> %s blocked: %d instance(s) "
                                    + "launching or warming up",
                            t - start, point.visible(), point.inFlight(), point.desired(), action, warming));
                    return;
                }
            }
            if (next != desired) {
                decisions.add(String.format(Locale.ROOT,
                        "t=%.0f datapoint visible=%d inFlight=%d desiredSeen=%d -> %s desired %d -> %d",
                        t - start, point.visible(), point.inFlight(), point.desired(), action, desired, next));
            }
            if (next > desired && Double.isNaN(firstScaleOut)) {
                firstScaleOut = t;
            }
            if (next < desired) {
                if (Double.isNaN(firstScaleIn)) {
                    firstScaleIn = t;
                }
                if (inFlight > 0) {
                    lowered++;
                }
            }
            desired = next;
            stoppedBusy += resize(this, desired, t);
        }

        /** Tracks the peak; true once every request is answered and the group is back at min with nothing running. */
        boolean settled(double t) {
            int live = (int) instances.stream().filter(x -> !x.stopped()).count();
            peak = Math.max(peak, live);
            if (answered == scenario.requests() && Double.isNaN(scaledIn) && desired == policy.minCapacity()
                    && live == policy.minCapacity()
                    && instances.stream().allMatch(x -> !x.stopped() || x.stoppedAt <= t)
                    && refills.stream().allMatch(r -> r[1] <= t)) {
                scaledIn = t;
                return true;
            }
            return false;
        }

        /**
         * Bills each start of an instance from launch to stop (or to the end of the run), at least the billing
         * minimum; a caller whose request was never answered timed out.
         */
        Result result() {
            double end = Double.isNaN(scaledIn) ? timing.horizon() : scaledIn;
            double instanceSeconds = 0;
            for (Instance instance : instances) {
                if (instance.launchedAt >= end) {
                    continue;
                }
                double stop = instance.stopped() ? Math.min(instance.stoppedAt, end) : end;
                instanceSeconds += Math.max(timing.billingMinimum(), stop - instance.launchedAt);
            }
            for (double[] refill : refills) {
                if (refill[0] < end) {
                    instanceSeconds += Math.max(timing.billingMinimum(), Math.min(refill[1], end) - refill[0]);
                }
            }
            int lost = scenario.requests() - answered;
            return new Result(scenario.name(), scenario.requests(), peak, firstAnswer - start, allDone - start,
                    scaledIn - start, instanceSeconds / 60.0, timeouts + lost, lost, longestWait, lowered,
                    stoppedBusy, firstScaleOut, firstScaleIn, fromPool, decisions);
        }
    }

    /** One period's sample as the alarm receives it, {@code deliveredAt} seconds into the run. */
    private record Datapoint(double deliveredAt, long visible, long inFlight, int desired) {
    }

    /**
     * Launches or stops instances to match {@code desired}; returns how many stopped instances held a message. A launch
     * takes a prepared instance from the warm pool while one is there (Hibernated: resumes with its warmed worker;
     * Stopped: starts, then its worker starts, cold JVM), else launches a new one (boot, image pull, worker start).
     * Scale-in stops the newest instances; a stopped one that was running goes back to the pool while the pool is
     * below its size (reuse on scale-in), else it is terminated; the pool is then refilled with new instances, billed
     * while they prepare.
     */
    private int resize(Run run, int desired, double t) {
        List<Instance> instances = run.instances;
        List<Instance> live = instances.stream().filter(x -> !x.stopped()).toList();
        int launch = desired - live.size();
        double launchAt = t + timing.activityDelay();
        for (int i = 0; i < launch; i++) {
            int prepared = -1;
            for (int p = 0; p < run.pool.size() && prepared < 0; p++) {
                if (run.pool.get(p) <= launchAt) {
                    prepared = p;
                }
            }
            double ready;
            double coldUntil;
            if (prepared >= 0) {
                run.pool.remove(prepared);
                run.fromPool++;
                ready = launchAt + timing.pooledBoot();
                coldUntil = timing.hibernated() ? ready : ready + timing.jitWarmup();
            } else {
                ready = launchAt + timing.coldLaunch();
                coldUntil = ready + timing.jitWarmup();
            }
            instances.add(new Instance(launchAt, ready, ready + timing.instanceWarmup(), coldUntil));
        }
        int busyStopped = 0;
        int target = poolTarget(desired);
        // Scale-in: the Auto Scaling group does not know which instance is idle; stop the newest ones.
        for (int i = live.size() - 1; i >= 0 && launch < 0; i--, launch++) {
            Instance instance = live.get(i);
            if (instance.busy(t)) {
                busyStopped++;
            }
            boolean running = t >= instance.readyAt;
            // One still booting has no worker to drain: it is terminated at once.
            instance.stoppedAt = running ? Math.max(t, instance.busyUntil) + timing.terminate() : t;
            if (running && policy.warmPool().reuseOnScaleIn() && run.pool.size() < target) {
                run.pool.add(instance.stoppedAt);
            }
        }
        while (run.pool.size() < target) {
            double end = t + timing.coldLaunch();
            run.refills.add(new double[] {t, end});
            run.pool.add(end);
        }
        return busyStopped;
    }
}
