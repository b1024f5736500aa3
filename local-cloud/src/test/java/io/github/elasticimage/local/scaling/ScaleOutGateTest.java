package io.github.elasticimage.local.scaling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local scale-out gate: a step only when the backlog outlasts a new worker's boot and the machine's CPU has room
 * for another worker.
 */
class ScaleOutGateTest {

    /** Priors: a boot takes 6 s, the ready workers drain 20 images/s. */
    private final ScaleOutGate gate = new ScaleOutGate(6, 20);

    @Test
    void holdsAStepTheBacklogDoesNotOutlastWithThePriors() {
        // 100 queued drain in 5 s at 20/s, before a worker booting 6 s would be ready.
        assertEquals(1, gate.limit(1, 4, 100, 1, Double.NaN));
        assertTrue(gate.reason().contains("held"), gate.reason());
        // 200 outlast it (10 s > 6 s): the policy's step is taken as it is.
        assertEquals(4, gate.limit(1, 4, 200, 1, Double.NaN));
        assertEquals("", gate.reason());
    }

    @Test
    void usesTheMeasuredBootTimeOverThePrior() {
        assertEquals(1, gate.limit(1, 4, 200, 1, 12.0)); // 10 s of backlog, a boot measured at 12 s
        assertEquals(4, gate.limit(1, 4, 200, 1, 4.0));
    }

    @Test
    void measuresTheDrainWhileEveryReadyWorkerIsBusy() {
        gate.observe(0, 90, 4, 1);
        gate.observe(3_000, 0, 4, 1);     // the queue ran dry in the period: not a drain sample
        assertEquals(20, gate.drainPerSecond());
        gate.observe(6_000, 5, 4, 1);
        gate.observe(9_000, 3, 4, 1);     // 2 fewer in 3 s while uploads still arrive: the prior stays the floor
        assertEquals(20, gate.drainPerSecond());
        gate.observe(12_000, 200, 2, 1);  // arrivals: the backlog grew, no sample
        assertEquals(20, gate.drainPerSecond());
        gate.observe(15_000, 80, 2, 1);   // 120 fewer in 3 s: 40/s
        assertEquals(40, gate.drainPerSecond(), 1e-9);
        gate.observe(18_000, 50, 2, 1);   // 30 fewer: 10/s, slower than seen, kept the fastest (arrivals hide drain)
        assertEquals(40, gate.drainPerSecond(), 1e-9);
        gate.observe(21_000, 20, 2, 2);   // the ready workers changed in the period: no sample
        assertEquals(40, gate.drainPerSecond(), 1e-9);
        // 300 queued drain in 7.5 s at 40/s: more than the 6 s boot, so the step is taken; 200 (5 s) is held.
        assertEquals(4, gate.limit(2, 4, 300, 2, Double.NaN));
        assertEquals(2, gate.limit(2, 4, 200, 2, Double.NaN));
    }

    @Test
    void neverHoldsTheFirstWorkerNorAScaleIn() {
        assertEquals(3, gate.limit(0, 3, 1, 0, Double.NaN), "no worker ready: nothing else would take the work");
        assertEquals(1, gate.limit(4, 1, 0, 4, Double.NaN));
        assertEquals(2, gate.limit(2, 2, 1, 2, Double.NaN));
    }

    @Test
    void holdsAStepWhileTheCpuWasBusierThanTheLimit() {
        double[] load = {0.97};
        ScaleOutGate cpuGate = new ScaleOutGate(6, 20, 0.75, () -> load[0]);
        // 1000 queued outlast any boot, but the cores were 97% busy over the period: held, and the log says why
        cpuGate.observe(0, 990, 10, 1);
        assertEquals(0.97, cpuGate.cpuLoad(), 1e-9);
        assertEquals(1, cpuGate.limit(1, 4, 1000, 1, Double.NaN));
        assertTrue(cpuGate.reason().contains("97% busy"), cpuGate.reason());
        // the same backlog on a machine with room (half its CPU idle): the policy's step
        load[0] = 0.5;
        cpuGate.observe(3_000, 980, 10, 1);
        assertEquals(4, cpuGate.limit(1, 4, 990, 1, Double.NaN));
        assertEquals("", cpuGate.reason());
        // the first worker is never held, however busy the machine
        load[0] = 1.0;
        cpuGate.observe(6_000, 980, 0, 0);
        assertEquals(2, cpuGate.limit(0, 2, 980, 0, Double.NaN));
    }

    @Test
    void anUnknownCpuLoadHoldsNothing() {
        ScaleOutGate cpuGate = new ScaleOutGate(6, 20, 0.75, () -> -1);
        cpuGate.observe(0, 990, 10, 1);
        assertTrue(Double.isNaN(cpuGate.cpuLoad()));
        assertEquals(4, cpuGate.limit(1, 4, 1000, 1, Double.NaN));
        ScaleOutGate nanGate = new ScaleOutGate(6, 20, 0.75, () -> Double.NaN);
        nanGate.observe(0, 990, 10, 1);
        assertEquals(4, nanGate.limit(1, 4, 1000, 1, Double.NaN));
    }

    @Test
    void theMachinesCpuLoadIsReadable() {
        // what make run's gate reads: the platform's system CPU load (0-1), or negative where the JVM cannot tell
        double load = ScaleOutGate.systemCpuLoad();
        assertTrue(load <= 1.0, "load " + load);
        System.out.println("scale-out gate: system CPU load reads " + (load < 0 ? "unavailable (CPU condition off)"
                : String.format(java.util.Locale.ROOT, "%.2f", load)));
    }

    @Test
    void refusesPriorsThatAreNotPositive() {
        assertThrows(IllegalArgumentException.class, () -> new ScaleOutGate(6, 20, 0, () -> 0.5));
        assertThrows(IllegalArgumentException.class, () -> new ScaleOutGate(6, 20, 1.5, () -> 0.5));
        assertThrows(IllegalArgumentException.class, () -> new ScaleOutGate(0, 20));
        assertThrows(IllegalArgumentException.class, () -> new ScaleOutGate(6, Double.NaN));
    }
}
