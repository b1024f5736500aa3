package io.github.elasticimage.local.scaling;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.function.DoubleSupplier;

/**
 * The local autoscaler's one addition to the policy's rule, for a machine whose cores every worker JVM shares: a
 * scale-out step is taken only when the backlog outlasts a new worker's boot, i.e. when the workers already ready would
 * still be busy once it is ready (backlog / drain rate &gt; boot time). A worker that would become ready to an empty
 * queue only takes CPU from the ones at work while it boots (docs/scaling.md, the local section).
 * <ul>
 *   <li>drain rate: the policy's {@code local.drainImagesPerSecond}, or the fastest fall of the backlog (visible + in
 *       flight) between two samples seen so far if that is faster, measured while messages stayed visible (every
 *       ready worker busy) and the ready workers did not change. New arrivals make a sample smaller (while a burst
 *       is still being uploaded it shows a fraction of the real rate), so a sample alone would understate the rate
 *       and start workers for backlogs that drain before they are ready; the prior is the floor;</li>
 *   <li>boot time: the last measured start-to-healthy of a worker (the pool's); until one is measured: the policy's
 *       {@code local.workerStartSeconds}.</li>
 * </ul>
 * A second condition: a step is taken only while the machine's CPU has room for another worker, i.e. the machine was
 * at most {@code local.maxCpuLoad} busy over the last period (the JVM's system CPU load, container-aware). A worker
 * uses one inference thread per core by default, so one busy worker with the web tier and the loopback servers beside
 * it already fills the cores; another JVM can only take CPU from it, and on two cores three booting workers made a
 * 1000-request burst 23% slower without ever taking a job (docs/scaling.md). A machine with idle cores (more cores, or
 * workers started with fewer threads) still scales out. An unknown load (the JVM cannot read it) holds nothing.
 * With no worker ready the step is always taken (nothing else would take the backlog), and scale-in is never held.
 * Not thread-safe: one caller per period.
 */
public final class ScaleOutGate {

    private final double priorBootSeconds;
    private final double priorDrainPerSecond;
    private final double maxCpuLoad;
    private final DoubleSupplier cpuLoad;
    private double lastCpuLoad = Double.NaN;
    private double drainPerSecond = Double.NaN;
    private boolean sampled;
    private long lastMillis;
    private long lastBacklog;
    private long lastVisible;
    private int lastReady;
    private String reason = "";

    /** Without the CPU condition (tests of the backlog rule). */
    public ScaleOutGate(double priorBootSeconds, double priorDrainPerSecond) {
        this(priorBootSeconds, priorDrainPerSecond, 1.0, () -> Double.NaN);
    }

    /**
     * @param maxCpuLoad  busiest the machine may have been over the last period (0-1] for a step to be taken; 1: off
     * @param cpuLoad     the machine's CPU load since the previous call (0-1), negative or NaN when unknown
     */
    public ScaleOutGate(double priorBootSeconds, double priorDrainPerSecond, double maxCpuLoad, DoubleSupplier cpuLoad) {
        if (!(priorBootSeconds > 0) || !(priorDrainPerSecond > 0)) {
            throw new IllegalArgumentException("priors must be > 0, got boot " + priorBootSeconds + " s, drain "
                    + priorDrainPerSecond + "/s");
        }
        if (!(maxCpuLoad > 0 && maxCpuLoad <= 1)) {
            throw new IllegalArgumentException("maxCpuLoad must be in (0, 1], got " + maxCpuLoad);
        }
        this.priorBootSeconds = priorBootSeconds;
        this.priorDrainPerSecond = priorDrainPerSecond;
        this.maxCpuLoad = maxCpuLoad;
        this.cpuLoad = cpuLoad;
    }

    /** With the policy's local section, the CPU load read from the platform's OperatingSystemMXBean. */
    public static ScaleOutGate of(ScalingPolicy.Local local) {
        return new ScaleOutGate(local.workerStartSeconds(), local.drainImagesPerSecond(), local.maxCpuLoad(),
                ScaleOutGate::systemCpuLoad);
    }

    /** The whole machine's (or container's) CPU load since the previous call, 0-1; negative when unavailable. */
    static double systemCpuLoad() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getCpuLoad();
        }
        return -1;
    }

    /** Feeds one sample of the queue and the ready workers (every period, before {@link #limit}). */
    public void observe(long epochMillis, long visible, long inFlight, int ready) {
        long backlog = visible + inFlight;
        double load = cpuLoad.getAsDouble();
        lastCpuLoad = load >= 0 && load <= 1 ? load : Double.NaN;
        if (sampled && lastVisible > 0 && visible > 0 && ready > 0 && ready == lastReady && epochMillis > lastMillis) {
            double perSecond = (lastBacklog - backlog) * 1000.0 / (epochMillis - lastMillis);
            if (perSecond > 0 && !(perSecond <= drainPerSecond)) {
                drainPerSecond = perSecond;
            }
        }
        sampled = true;
        lastMillis = epochMillis;
        lastBacklog = backlog;
        lastVisible = visible;
        lastReady = ready;
    }

    /** The machine's CPU load over the last period (0-1), NaN when unknown. */
    public double cpuLoad() {
        return lastCpuLoad;
    }

    /** Images per second the ready workers drain: the fastest measured, at least the prior. */
    public double drainPerSecond() {
        return Double.isNaN(drainPerSecond) ? priorDrainPerSecond : Math.max(priorDrainPerSecond, drainPerSecond);
    }

    /**
     * The capacity to ask for: {@code proposed} (the policy's), or {@code desired} when a scale-out step would start
     * workers the backlog does not outlast.
     *
     * @param desired          capacity now (ready + booting)
     * @param proposed         capacity the policy's rule asks for
     * @param backlog          visible + in flight
     * @param ready            workers ready now
     * @param lastBootSeconds  the pool's last measured boot (start to healthy), NaN if none yet
     */
    public int limit(int desired, int proposed, long backlog, int ready, double lastBootSeconds) {
        reason = "";
        if (proposed <= desired || ready == 0) {
            return proposed;
        }
        double boot = Double.isNaN(lastBootSeconds) || lastBootSeconds <= 0 ? priorBootSeconds : lastBootSeconds;
        double drainSeconds = backlog / drainPerSecond();
        if (drainSeconds <= boot) {
            reason = String.format(Locale.ROOT, "scale-out to %d held: backlog %d drains in %.1f s at %.1f/s, before a"
                    + " new worker would be ready (%.1f s)", proposed, backlog, drainSeconds, drainPerSecond(), boot);
            return desired;
        }
        if (lastCpuLoad > maxCpuLoad) {
            reason = String.format(Locale.ROOT, "scale-out to %d held: the CPU was %.0f%% busy over the last period"
                    + " (local.maxCpuLoad %.0f%%), another worker would only take CPU from those at work", proposed,
                    lastCpuLoad * 100, maxCpuLoad * 100);
            return desired;
        }
        return proposed;
    }

    /** Why the last {@link #limit} held a step; empty when it did not. */
    public String reason() {
        return reason;
    }
}
