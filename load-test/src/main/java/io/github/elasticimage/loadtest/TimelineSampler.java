package io.github.elasticimage.loadtest;

import io.github.elasticimage.scaling.ScalingPoint;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Samples a {@link ScalingSource} on a fixed period in the background and keeps every point, merged by time. */
public final class TimelineSampler implements AutoCloseable {

    private final ScalingSource source;
    private final Duration period;
    private final TreeMap<Long, ScalingPoint> points = new TreeMap<>();
    private ScheduledExecutorService scheduler;
    private int successes;
    private int failures;
    private String lastError;

    public TimelineSampler(ScalingSource source, Duration period) {
        this.source = source;
        this.period = period;
    }

    /** Takes one sample now (so the state before the burst is known), then one every period. */
    public void start() {
        sampleNow();
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "timeline-sampler");
            thread.setDaemon(true);
            return thread;
        });
        long millis = Math.max(1, period.toMillis());
        scheduler.scheduleAtFixedRate(this::sampleNow, millis, millis, TimeUnit.MILLISECONDS);
    }

    public void sampleNow() {
        try {
            List<ScalingPoint> sample = source.sample();
            synchronized (this) {
                successes++;
                for (ScalingPoint point : sample) {
                    points.put(point.t(), point);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            synchronized (this) {
                failures++;
                lastError = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
        }
    }

    /** Stops the background sampling and takes a last sample. */
    public void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scheduler = null;
        }
        sampleNow();
    }

    public synchronized List<ScalingPoint> points() {
        return new ArrayList<>(points.values());
    }

    /** Whether the source answered at least once with at least one point. */
    public synchronized boolean available() {
        return successes > 0 && !points.isEmpty();
    }

    public synchronized String lastError() {
        return lastError;
    }

    public synchronized int failures() {
        return failures;
    }

    public String describe() {
        return source.describe();
    }

    /** Latest running count seen, or -1 when none. */
    public synchronized long latestRunning() {
        Map.Entry<Long, ScalingPoint> last = points.lastEntry();
        return last == null ? -1 : last.getValue().running();
    }

    @Override
    public void close() {
        stop();
        source.close();
    }
}
