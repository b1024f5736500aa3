package io.github.elasticimage.local.scaling;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The scaling policy of the classifier tier, as written in {@code scaling-policy.json} at the repository root. The same
 * file is read by Terraform ({@code terraform/scaling.tf}) and packaged into this module's jar, so the local autoscaler,
 * the simulator and AWS apply one set of numbers.
 *
 * @param minCapacity              fewest workers (AWS: the group's min_size)
 * @param maxCapacity              most workers (AWS: the group's max_size)
 * @param targetBacklogPerInstance messages (visible + in flight) one worker is meant to hold
 * @param metric                   the metric sources of the alarms (primary and fallback) and their periods
 * @param scaleOut                 the scale-out rule and its steps
 * @param scaleIn                  the scale-in rule
 * @param instanceWarmupSeconds    AWS instance warm-up (the group's default_instance_warmup and the scale-out
 *                                 policy's estimated_instance_warmup), counted from InService: capacity added by a
 *                                 step that is still launching or warming up is not added again for the same breach,
 *                                 and no scale-in happens until every new instance has warmed up (chosen with make
 *                                 simulate: docs/decisions/0014-warm-workers-and-scale-in-window.md)
 * @param warmPool                 the AWS warm pool (prepared instances: Stopped, or Hibernated with the worker warm)
 * @param worker                   what one warm worker sustains (the simulator's job time, the throughput-aware
 *                                 policy's divisor)
 * @param throughputAware          the cheaper alternative rule {@code make simulate} prints beside the shipped one
 * @param callers                  what a caller waits on AWS (web tier, client and load balancer timeouts)
 * @param local                    values bound to this machine (local period, maximum, boot priority, scale-out gate)
 */
@JsonIgnoreProperties("description")
public record ScalingPolicy(int minCapacity, int maxCapacity, int targetBacklogPerInstance, Metric metric,
                            ScaleOut scaleOut, ScaleIn scaleIn, int instanceWarmupSeconds, WarmPool warmPool,
                            Worker worker, ThroughputAware throughputAware, Callers callers, Local local) {

    /** Name of the file at the repository root, and of the resource in this module's jar. */
    public static final String FILE_NAME = "scaling-policy.json";
    /** Largest capacity this project supports anywhere (AWS max_size and the local --max-workers). */
    public static final int CAPACITY_LIMIT = 20;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    /**
     * Where the alarms read the backlog: two alarm pairs with the same rules, one per source.
     *
     * @param statistic the alarms' statistic over each period; Maximum, because every web instance publishes the same
     *                  queue-wide counts (a Sum would add them up)
     * @param primary   the backlog the web tier publishes (high-resolution when its period is under 60 s)
     * @param fallback  SQS's one-minute metrics, for when nothing is published
     */
    @JsonIgnoreProperties("description")
    public record Metric(String statistic, Primary primary, Fallback fallback) {

        /** The primary source's period: the one the local simulator and the shipped alarms' timing follow. */
        public int periodSeconds() {
            return primary.periodSeconds();
        }

        /** Whether the primary alarms are high-resolution (period under a minute: 10 or 30 s). */
        public boolean highResolution() {
            return primary.periodSeconds() < 60;
        }
    }

    /**
     * The custom metrics the web tier publishes with one-second storage resolution (docs/metrics.md).
     *
     * @param namespace              CloudWatch namespace (the web role may put metrics into this one only)
     * @param backlog                visible + in flight, dimension QueueName
     * @param visible                visible only (the scale-out alarm acts only while messages wait), dimension
     *                               QueueName
     * @param desiredCapacity        the classifier group's desired capacity, dimension AutoScalingGroupName (the
     *                               group's own GroupDesiredCapacity is one-minute only)
     * @param publishIntervalSeconds seconds between two samples of one web instance
     * @param periodSeconds          the primary alarms' period: 10, 30 or a multiple of 60
     */
    @JsonIgnoreProperties("description")
    public record Primary(String namespace, String backlog, String visible, String desiredCapacity,
                          int publishIntervalSeconds, int periodSeconds) {
    }

    /**
     * SQS's own queue metrics (one-minute) and the group's GroupDesiredCapacity.
     *
     * @param namespace     AWS/SQS
     * @param visible       ApproximateNumberOfMessagesVisible
     * @param inFlight      ApproximateNumberOfMessagesNotVisible
     * @param periodSeconds the fallback alarms' period: a multiple of 60 (SQS metrics are one-minute)
     */
    @JsonIgnoreProperties("description")
    public record Fallback(String namespace, String visible, String inFlight, int periodSeconds) {
    }

    /**
     * @param adjustmentType    always ChangeInCapacity: steps only ever add capacity
     * @param threshold         smallest excess (wanted - desired capacity) that triggers a step
     * @param evaluationPeriods periods the excess must last
     * @param steps             contiguous intervals of the excess, the first starting at {@code threshold}
     */
    @JsonIgnoreProperties("description")
    public record ScaleOut(String adjustmentType, int threshold, int evaluationPeriods, List<Step> steps) {
    }

    /**
     * One step: when {@code lower <= excess < upper} (upper null: no bound) add {@code adjustment} workers.
     */
    public record Step(int lower, Integer upper, int adjustment) {

        boolean contains(long excess) {
            return excess >= lower && (upper == null || excess < upper);
        }
    }

    /**
     * @param adjustmentType    always ExactCapacity: the group goes back to minCapacity
     * @param evaluationPeriods periods in a row with backlog (visible + in flight) 0 before it does
     */
    @JsonIgnoreProperties("description")
    public record ScaleIn(String adjustmentType, int evaluationPeriods) {
    }

    /**
     * @param poolState                Stopped (EBS only while pooled; the worker starts again, cold JVM, when the
     *                                 instance leaves the pool) or Hibernated (RAM written to the encrypted root volume;
     *                                 the warmed worker resumes with it)
     * @param minSize                  fewest instances kept in the pool
     * @param maxGroupPreparedCapacity most instances running plus prepared: the pool holds this minus the desired
     *                                 capacity, so at most this many launches of a scale-out from min come from the
     *                                 pool; the rest launch cold (Terraform's max_group_prepared_capacity, null: this)
     * @param reuseOnScaleIn           scale-in returns instances to the pool (up to its size) instead of terminating
     */
    @JsonIgnoreProperties("description")
    public record WarmPool(String poolState, int minSize, int maxGroupPreparedCapacity, boolean reuseOnScaleIn) {

        public static final List<String> STATES = List.of("Stopped", "Hibernated");

        public boolean hibernated() {
            return "Hibernated".equals(poolState);
        }
    }

    /** @param requestsPerSecond requests one warm worker (one instance) answers per second, end to end */
    @JsonIgnoreProperties("description")
    public record Worker(double requestsPerSecond) {
    }

    /**
     * The throughput-aware rule: capacity wanted = ceil(backlog / (worker.requestsPerSecond x acceptableWaitSeconds)),
     * i.e. the same rule with targetBacklogPerInstance = requestsPerSecond x acceptableWaitSeconds.
     *
     * @param acceptableWaitSeconds how long a request may wait behind the others once the workers run
     */
    @JsonIgnoreProperties("description")
    public record ThroughputAware(int acceptableWaitSeconds) {
    }

    /**
     * Timeouts on AWS, each above the one before, all above the simulator's worst case for a cold group at min 0.
     *
     * @param resultTimeoutSeconds           the web tier's RESULT_TIMEOUT: a caller with no answer by then gets 504
     * @param clientTimeoutSeconds           the client's (load test's) timeout: above resultTimeoutSeconds, so the
     *                                       caller sees the web tier's 504 rather than its own give-up
     * @param loadBalancerIdleTimeoutSeconds the load balancer's idle timeout: above both, so it never cuts a waiting
     *                                       request
     */
    @JsonIgnoreProperties("description")
    public record Callers(int resultTimeoutSeconds, int clientTimeoutSeconds, int loadBalancerIdleTimeoutSeconds) {
    }

    /**
     * What is bound to this machine (docs/scaling.md, the local section).
     *
     * @param periodSeconds         local sampling period (2-5 s)
     * @param maxCapacity           default maximum of worker JVMs on this machine (overridable up to
     *                              {@link #CAPACITY_LIMIT})
     * @param bootNice              CPU niceness (0-19) a worker started by the autoscaler boots at, so its JVM start
     *                              and model load take only what the working JVMs leave; reset to normal once it is
     *                              ready. 0 = boot at normal priority
     * @param workerStartSeconds    prior of a worker's start to ready, until the first boot is measured
     * @param drainImagesPerSecond  images per second the ready workers are taken to drain together at least (a
     *                              faster measured drain replaces it)
     * @param maxCpuLoad            busiest (0-1] the machine may have been over the last period for a scale-out step to
     *                              be taken: on busy cores a new worker only takes CPU from those at work. 1 = off
     */
    @JsonIgnoreProperties("description")
    public record Local(int periodSeconds, int maxCapacity, int bootNice, double workerStartSeconds,
                        double drainImagesPerSecond, double maxCpuLoad) {
    }

    /** The policy packaged into this jar (a copy of the repository's scaling-policy.json made by the build). */
    public static ScalingPolicy packaged() {
        try (InputStream in = ScalingPolicy.class.getClassLoader().getResourceAsStream(FILE_NAME)) {
            if (in == null) {
                throw new IllegalStateException(FILE_NAME + " is not on the classpath (local-cloud's build copies it)");
            }
            return parse(in.readAllBytes(), "classpath:" + FILE_NAME);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read classpath:" + FILE_NAME, e);
        }
    }

    /** The policy at {@code file} (the --policy override). */
    public static ScalingPolicy load(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read scaling policy " + file, e);
        }
    }

    /** Parses and validates; the message names the source and the broken rule. */
    public static ScalingPolicy parse(byte[] json, String source) {
        ScalingPolicy policy;
        try {
            policy = JSON.readValue(json, ScalingPolicy.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid scaling policy " + source + ": " + e.getMessage(), e);
        }
        policy.validate(source);
        return policy;
    }

    private void validate(String source) {
        require(minCapacity >= 0 && minCapacity <= maxCapacity, source, "0 <= minCapacity <= maxCapacity");
        require(maxCapacity >= 1 && maxCapacity <= CAPACITY_LIMIT, source, "1 <= maxCapacity <= " + CAPACITY_LIMIT);
        require(targetBacklogPerInstance >= 1, source, "targetBacklogPerInstance >= 1");
        require(metric != null && "Maximum".equals(metric.statistic()), source,
                "metric.statistic is Maximum (every web instance publishes the same queue-wide counts)");
        Primary primary = metric.primary();
        require(primary != null && notBlank(primary.namespace()) && notBlank(primary.backlog())
                && notBlank(primary.visible()) && notBlank(primary.desiredCapacity()), source,
                "metric.primary names a namespace and the backlog, visible and desiredCapacity metrics");
        require(!primary.namespace().startsWith("AWS/"), source,
                "metric.primary.namespace is a custom namespace (AWS/ is reserved)");
        require(validAlarmPeriod(primary.periodSeconds()), source,
                "metric.primary.periodSeconds is 10, 30 or a multiple of 60 (alarm periods CloudWatch and the AWS provider accept)");
        require(primary.publishIntervalSeconds() >= 1 && primary.publishIntervalSeconds() <= primary.periodSeconds(),
                source, "1 <= metric.primary.publishIntervalSeconds <= metric.primary.periodSeconds "
                        + "(every period gets a sample)");
        Fallback fallback = metric.fallback();
        require(fallback != null && notBlank(fallback.namespace()) && notBlank(fallback.visible())
                && notBlank(fallback.inFlight()), source,
                "metric.fallback names a namespace and the visible and inFlight metrics");
        require(fallback.periodSeconds() >= 60 && fallback.periodSeconds() % 60 == 0, source,
                "metric.fallback.periodSeconds is a multiple of 60 (SQS metrics are one-minute)");
        require(scaleOut != null && "ChangeInCapacity".equals(scaleOut.adjustmentType()), source,
                "scaleOut.adjustmentType is ChangeInCapacity (steps only add capacity)");
        require(scaleOut.threshold() >= 1, source, "scaleOut.threshold >= 1");
        require(scaleOut.evaluationPeriods() >= 1, source, "scaleOut.evaluationPeriods >= 1");
        List<Step> steps = scaleOut.steps();
        require(steps != null && !steps.isEmpty() && steps.size() <= 20, source,
                "scaleOut.steps has 1 to 20 entries (the AWS limit per policy)");
        require(steps.get(0).lower() == scaleOut.threshold(), source, "the first step starts at scaleOut.threshold");
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            require(step.adjustment() >= 1, source, "every step adjustment is >= 1 (step " + i + ")");
            boolean last = i == steps.size() - 1;
            require(last == (step.upper() == null), source, "only the last step has no upper bound (step " + i + ")");
            if (!last) {
                require(step.upper() > step.lower(), source, "upper > lower (step " + i + ")");
                require(steps.get(i + 1).lower() == step.upper(), source, "steps are contiguous (step " + i + ")");
            }
        }
        require(scaleIn != null && "ExactCapacity".equals(scaleIn.adjustmentType()), source,
                "scaleIn.adjustmentType is ExactCapacity (back to minCapacity)");
        require(scaleIn.evaluationPeriods() >= 1, source, "scaleIn.evaluationPeriods >= 1");
        require(instanceWarmupSeconds >= 0, source, "instanceWarmupSeconds >= 0");
        require(warmPool != null && warmPool.minSize() >= 0, source, "warmPool.minSize >= 0");
        require(WarmPool.STATES.contains(warmPool.poolState()), source, "warmPool.poolState is one of "
                + WarmPool.STATES);
        require(warmPool.maxGroupPreparedCapacity() >= 0 && warmPool.maxGroupPreparedCapacity() <= maxCapacity,
                source, "0 <= warmPool.maxGroupPreparedCapacity <= maxCapacity");
        require(worker != null && worker.requestsPerSecond() > 0, source, "worker.requestsPerSecond > 0");
        require(throughputAware != null && throughputAware.acceptableWaitSeconds() >= 1, source,
                "throughputAware.acceptableWaitSeconds >= 1");
        require(callers != null && callers.resultTimeoutSeconds() >= 1, source, "callers.resultTimeoutSeconds >= 1");
        require(callers.clientTimeoutSeconds() > callers.resultTimeoutSeconds(), source,
                "callers.clientTimeoutSeconds > callers.resultTimeoutSeconds");
        require(callers.loadBalancerIdleTimeoutSeconds() > callers.clientTimeoutSeconds(), source,
                "callers.loadBalancerIdleTimeoutSeconds > callers.clientTimeoutSeconds");
        require(callers.loadBalancerIdleTimeoutSeconds() <= 4000, source,
                "callers.loadBalancerIdleTimeoutSeconds <= 4000 (the ALB maximum)");
        require(local != null && local.periodSeconds() >= 1 && local.periodSeconds() <= 60, source,
                "1 <= local.periodSeconds <= 60");
        require(local.maxCapacity() >= 1 && local.maxCapacity() <= maxCapacity, source,
                "1 <= local.maxCapacity <= maxCapacity");
        require(local.bootNice() >= 0 && local.bootNice() <= 19, source, "0 <= local.bootNice <= 19");
        require(local.workerStartSeconds() > 0, source, "local.workerStartSeconds > 0");
        require(local.drainImagesPerSecond() > 0, source, "local.drainImagesPerSecond > 0");
        require(local.maxCpuLoad() > 0 && local.maxCpuLoad() <= 1, source, "0 < local.maxCpuLoad <= 1");
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    /**
     * Alarm periods that CloudWatch and the AWS provider 5.x both accept: 10 and 30 s (high-resolution metrics only) or
     * a multiple of 60 (CloudWatch also takes 20, the provider does not).
     */
    private static boolean validAlarmPeriod(int seconds) {
        return seconds == 10 || seconds == 30 || (seconds >= 60 && seconds % 60 == 0);
    }

    private static void require(boolean ok, String source, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("invalid scaling policy " + source + ": expected " + rule);
        }
    }

    /**
     * The throughput-aware alternative: this policy with targetBacklogPerInstance = worker.requestsPerSecond x
     * throughputAware.acceptableWaitSeconds (at least 1); every other rule unchanged.
     */
    public ScalingPolicy throughputAwareVariant() {
        int target = (int) Math.max(1, Math.floor(worker.requestsPerSecond() * throughputAware.acceptableWaitSeconds()));
        return new ScalingPolicy(minCapacity, maxCapacity, target, metric, scaleOut, scaleIn, instanceWarmupSeconds,
                warmPool, worker, throughputAware, callers, local);
    }

    /** Capacity the backlog asks for: ceil(backlog / target), not capped. */
    public long wanted(long backlog) {
        return (backlog + targetBacklogPerInstance - 1) / targetBacklogPerInstance;
    }

    /** The adjustment of the step containing {@code excess}; 0 below the threshold. */
    public int adjustmentFor(long excess) {
        if (excess < scaleOut.threshold()) {
            return 0;
        }
        for (Step step : scaleOut.steps()) {
            if (step.contains(excess)) {
                return step.adjustment();
            }
        }
        throw new IllegalStateException("no step for excess " + excess); // validate() rules this out
    }
}
