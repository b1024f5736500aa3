package io.github.elasticimage.web.metrics;

import io.github.elasticimage.web.config.ScalingMetricProperties;
import io.github.elasticimage.web.queue.QueueDepths;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Publishes what the primary scaling alarms read (terraform/scaling.tf, {@code metric.primary} of
 * {@code scaling-policy.json}): every {@code app.scaling-metric.interval} one PutMetricData call with the request
 * queue's backlog (visible + in flight) and visible count, dimension QueueName, and the classifier group's desired
 * capacity, dimension AutoScalingGroupName, all with one-second storage resolution and the time of the sample.
 * <p>
 * No instance dimension: the counts are queue-wide, so every web instance sends the same figure (from its own
 * GetQueueAttributes call) into the same metric, and the alarms take the Maximum of a period's samples; a Sum would add
 * them up. The three values of a sample are read before anything is sent and sent in one call, so a period has all
 * three or none. A failed sample is logged and skipped: the next one follows an interval later.
 */
@Singleton
@Requires(property = "app.scaling-metric.enabled", value = "true")
public class ScalingMetricPublisher {

    /** The metric names; {@code metric.primary} of scaling-policy.json names the same (ScalingMetricPublisherTest). */
    public static final String BACKLOG = "RequestBacklog";
    public static final String VISIBLE = "RequestsVisible";
    public static final String DESIRED_CAPACITY = "ClassifierDesiredCapacity";
    /** CloudWatch's high resolution: stored per second, so alarms can use 10 s periods. */
    public static final int STORAGE_RESOLUTION_SECONDS = 1;

    private static final Logger LOG = LoggerFactory.getLogger(ScalingMetricPublisher.class);

    /** One sample: what was sent. */
    public record Sample(Instant at, long backlog, long visible, int desiredCapacity) {
    }

    private final QueueDepths queues;
    private final CloudWatchClient cloudWatch;
    private final AutoScalingClient autoScaling;
    private final String namespace;
    private final String group;
    private final long halfInterval;
    private volatile boolean failing;
    private volatile long lastRun;

    public ScalingMetricPublisher(QueueDepths queues, CloudWatchClient cloudWatch, AutoScalingClient autoScaling,
                                  ScalingMetricProperties properties) {
        if (properties.namespace() == null || properties.namespace().isBlank()) {
            throw new ConfigurationException("SCALING_METRIC_ENABLED is true but SCALING_METRIC_NAMESPACE is empty "
                    + "(the namespace of scaling-policy.json's metric.primary)");
        }
        if (properties.classifierGroup() == null || properties.classifierGroup().isBlank()) {
            throw new ConfigurationException("SCALING_METRIC_ENABLED is true but CLASSIFIER_GROUP_NAME is empty "
                    + "(the classifier Auto Scaling group whose desired capacity the scale-out alarm reads)");
        }
        this.queues = queues;
        this.cloudWatch = cloudWatch;
        this.autoScaling = autoScaling;
        this.namespace = properties.namespace();
        this.group = properties.classifierGroup();
        this.halfInterval = properties.interval().toNanos() / 2;
        LOG.info("publishing the request backlog and the desired capacity of {} to CloudWatch namespace {} every {}",
                group, namespace, properties.interval());
    }

    /**
     * One sample per interval at a fixed rate, so the samples keep step with CloudWatch's periods instead of drifting by
     * the call's own time. After a stall the scheduler runs the missed executions back to back: those catch-up runs are
     * skipped (less than half an interval after the previous sample), so a stalled JVM sends no burst of requests.
     */
    @Scheduled(fixedRate = "${app.scaling-metric.interval:10s}")
    void publishOnSchedule() {
        long now = System.nanoTime();
        if (lastRun != 0 && now - lastRun < halfInterval) {
            return;
        }
        lastRun = now;
        try {
            Sample sample = publish();
            if (failing) {
                failing = false;
                LOG.info("scaling backlog published again: {}", sample);
            }
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("cannot publish the scaling backlog (the fallback alarms on SQS's one-minute metrics act while "
                        + "no web instance publishes); retrying every interval: {}", e.toString());
            } else {
                LOG.debug("cannot publish the scaling backlog: {}", e.toString());
            }
        }
    }

    /** Reads the queue and the group, then sends the three values in one call; throws when any step fails. */
    public Sample publish() {
        // The sample's time is when its reading starts: on the schedule's grid, whatever the calls then take.
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS); // CloudWatch keeps milliseconds
        QueueDepths.Depth depth = queues.requestQueue();
        int desired = desiredCapacity();
        Dimension queue = Dimension.builder().name("QueueName").value(depth.queue()).build();
        Dimension groupName = Dimension.builder().name("AutoScalingGroupName").value(group).build();
        long backlog = depth.visible() + depth.inFlight();
        cloudWatch.putMetricData(b -> b.namespace(namespace).metricData(List.of(
                datum(BACKLOG, backlog, queue, now),
                datum(VISIBLE, depth.visible(), queue, now),
                datum(DESIRED_CAPACITY, desired, groupName, now))));
        return new Sample(now, backlog, depth.visible(), desired);
    }

    private int desiredCapacity() {
        List<AutoScalingGroup> groups = autoScaling.describeAutoScalingGroups(b -> b.autoScalingGroupNames(group))
                .autoScalingGroups();
        if (groups.isEmpty()) {
            throw new IllegalStateException("no Auto Scaling group named " + group);
        }
        return groups.get(0).desiredCapacity();
    }

    private static MetricDatum datum(String name, double value, Dimension dimension, Instant at) {
        return MetricDatum.builder().metricName(name).value(value).unit(StandardUnit.COUNT).dimensions(dimension)
                .timestamp(at).storageResolution(STORAGE_RESOLUTION_SECONDS).build();
    }
}
