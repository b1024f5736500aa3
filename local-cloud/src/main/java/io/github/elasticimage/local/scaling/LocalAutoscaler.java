package io.github.elasticimage.local.scaling;

import io.github.elasticimage.scaling.ScalingPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The local stand-in for CloudWatch alarms plus the Auto Scaling group: every period it samples the request queue's
 * visible and in-flight counts, applies the {@link ScalingEngine}, and asks the worker pool for that many workers
 * (without waiting for JVMs to boot). With a {@link ScaleOutGate} (make run), a scale-out step that would start workers
 * the backlog does not outlast is held, since here every JVM shares the same cores. Every decision is logged and kept
 * in a timeline of {@link ScalingPoint}s, served over HTTP by {@link TimelineServer}.
 */
public final class LocalAutoscaler implements AutoCloseable {

    /** Capacity of the timeline: 10 000 points, over 8 hours at a 3 s period. */
    static final int TIMELINE_CAPACITY = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(LocalAutoscaler.class);
    /** Every decision, one line each (make run: .local-cloud/scaling-decisions.log, see logback.xml). */
    private static final Logger DECISIONS = LoggerFactory.getLogger("scaling.decisions");

    /** What the autoscaler drives: the local worker processes (LocalSystem) or, in tests, a fake. */
    public interface WorkerPool {
        /** Start or stop workers until {@code desired} are running or booting; must not block on a boot. */
        void requestWorkers(int desired);

        /** Workers healthy and taking work. */
        int readyWorkers();

        /** Workers still booting. */
        int bootingWorkers();

        /** Start to healthy of the last worker that became healthy, in seconds; NaN when none was measured. */
        default double lastBootSeconds() {
            return Double.NaN;
        }
    }

    private final SqsClient sqs;
    private final String queueUrl;
    private final ScalingEngine engine;
    private final Duration period;
    private final WorkerPool pool;
    /** Null: the policy's rule alone (as on AWS). */
    private final ScaleOutGate gate;
    private final ArrayDeque<ScalingPoint> timeline = new ArrayDeque<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "autoscaler");
        t.setDaemon(true);
        return t;
    });
    private int desired;
    private ScalingPoint lastLogged;

    /** The policy's rule alone, as on AWS. */
    public LocalAutoscaler(SqsClient sqs, String queueUrl, ScalingEngine engine, Duration period, WorkerPool pool,
                           int initialDesired) {
        this(sqs, queueUrl, engine, period, pool, initialDesired, null);
    }

    /** With {@code gate} (null: none) holding scale-out steps the backlog would not outlast. */
    public LocalAutoscaler(SqsClient sqs, String queueUrl, ScalingEngine engine, Duration period, WorkerPool pool,
                           int initialDesired, ScaleOutGate gate) {
        this.gate = gate;
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.engine = engine;
        this.period = period;
        this.pool = pool;
        this.desired = Math.max(engine.min(), Math.min(engine.max(), initialDesired));
    }

    /** Samples now and then every period, on its own thread. */
    public LocalAutoscaler start() {
        LOG.info("autoscaler: every {} s, workers {}..{}, queue {}", period.toMillis() / 1000.0, engine.min(),
                engine.max(), queueUrl);
        scheduler.scheduleWithFixedDelay(this::tickSafely, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            // No sample or no action this period: the workers stay as they are and the next period tries again.
            LOG.warn("autoscaler: period failed (queue {}): {}", queueUrl, e.toString());
        }
    }

    /** One period: sample, decide, act, record. Public for tests that drive time themselves. */
    public synchronized ScalingPoint tick() {
        Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
        long t = System.currentTimeMillis();
        long visible = Long.parseLong(attributes.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "0"));
        long inFlight = Long.parseLong(
                attributes.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, "0"));
        ScalingEngine.Action action = engine.evaluate(visible, inFlight, desired);
        int next = engine.apply(action, desired);
        String held = "";
        if (gate != null) {
            int ready = pool.readyWorkers();
            gate.observe(t, visible, inFlight, ready);
            next = gate.limit(desired, next, visible + inFlight, ready, pool.lastBootSeconds());
            held = gate.reason();
        }
        pool.requestWorkers(next);
        ScalingPoint point = new ScalingPoint(t, visible, inFlight, next, pool.readyWorkers());
        record(point);
        String line = String.format(java.util.Locale.ROOT,
                "scaling t=%s visible=%d inFlight=%d desired=%d running=%d booting=%d%s", Instant.ofEpochMilli(t),
                visible, inFlight, next, point.running(), pool.bootingWorkers(),
                next != desired ? " (" + describe(action, desired, next) + ")" : held.isEmpty() ? "" : " (" + held + ")");
        // Every decision goes to the decisions log and the timeline; the console repeats a line only on a change.
        DECISIONS.info(line);
        if (lastLogged == null || !sameState(lastLogged, point) || next != desired) {
            LOG.info(line);
            lastLogged = point;
        } else {
            LOG.debug(line);
        }
        desired = next;
        return point;
    }

    private static boolean sameState(ScalingPoint a, ScalingPoint b) {
        return a.visible() == b.visible() && a.inFlight() == b.inFlight() && a.desired() == b.desired()
                && a.running() == b.running();
    }

    private static String describe(ScalingEngine.Action action, int was, int now) {
        if (action instanceof ScalingEngine.Action.Add add) {
            return "scale-out: step +" + add.adjustment() + " for excess " + add.excess() + ", " + was + " -> " + now
                    + (was + add.adjustment() > now ? " (capped at max)" : "");
        }
        if (action instanceof ScalingEngine.Action.Exact exact) {
            return "scale-in: queue empty for the window, " + was + " -> " + now;
        }
        return "no alarm";
    }

    private synchronized void record(ScalingPoint point) {
        if (timeline.size() == TIMELINE_CAPACITY) {
            timeline.removeFirst();
        }
        timeline.addLast(point);
    }

    /** Every decision so far (the last {@value #TIMELINE_CAPACITY}), oldest first. */
    public synchronized List<ScalingPoint> timeline() {
        return List.copyOf(timeline);
    }

    public synchronized int desired() {
        return desired;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
