package io.github.elasticimage.classifier.lifecycle;

import io.github.elasticimage.classifier.config.LifecycleGateProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * Whether this worker may take requests (docs/scaling.md "Warm workers"). Off ({@code LIFECYCLE_GATE=off}): always
 * open. With {@code imds}: a thread reads the Auto Scaling target lifecycle state from the instance metadata service
 * every {@code LIFECYCLE_GATE_POLL_INTERVAL}; the gate is open only while it is {@code InService}, so a warm-pool
 * instance ({@code Warmed:Stopped}, {@code Warmed:Running}, {@code Warmed:Hibernated}, ...) can have its worker started,
 * its model loaded and warmed, without taking a job. Until the first answer the gate is closed; when the service stops
 * answering later, the last state read holds (an InService worker keeps working through an IMDS hiccup). Metric
 * {@code classifier_lifecycle_gate_open} (1 open, 0 closed); the state is in {@code /health} details.
 */
@Singleton
public class LifecycleGate {

    static final String STATE_PATH = "autoscaling/target-lifecycle-state";
    static final String IN_SERVICE = "InService";
    private static final Logger LOG = LoggerFactory.getLogger(LifecycleGate.class);

    private final LifecycleGateProperties properties;
    private final Object lock = new Object();
    private volatile boolean open;
    private volatile String state;
    private final Thread poller;

    public LifecycleGate(LifecycleGateProperties properties, MeterRegistry registry) {
        this.properties = properties;
        Gauge.builder("classifier.lifecycle.gate.open", this, g -> g.isOpen() ? 1 : 0)
                .description("1 while this worker may take requests (the lifecycle gate is open), else 0")
                .register(registry);
        if (!properties.enabled()) {
            open = true;
            state = "gate off";
            poller = null;
            return;
        }
        state = "unknown";
        InstanceMetadata imds = new InstanceMetadata(properties.imdsEndpoint());
        poller = new Thread(() -> poll(imds), "lifecycle-gate");
        poller.setDaemon(true);
        poller.start();
        LOG.info("lifecycle gate on: taking requests only while {} at {} is {}", STATE_PATH,
                properties.imdsEndpoint(), IN_SERVICE);
    }

    private void poll(InstanceMetadata imds) {
        long failures = 0;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                update(imds.get(STATE_PATH));
                failures = 0;
            } catch (IOException e) {
                if (failures++ % 12 == 0) {
                    LOG.warn("lifecycle gate: cannot read {} ({}); the gate stays {}", STATE_PATH, e.toString(),
                            open ? "open" : "closed");
                }
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(properties.pollInterval().toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void update(String newState) {
        boolean nowOpen = IN_SERVICE.equals(newState);
        if (!Objects.equals(newState, state)) {
            LOG.info("lifecycle gate: target lifecycle state {} -> {}: {}", state, newState,
                    nowOpen ? "taking requests" : "taking no new requests");
        }
        synchronized (lock) {
            state = newState;
            open = nowOpen;
            lock.notifyAll();
        }
    }

    /** True while requests may be taken. */
    public boolean isOpen() {
        return open;
    }

    /** The last target lifecycle state read ({@code gate off} when the gate is off). */
    public String state() {
        return state;
    }

    /** Waits up to {@code timeout} for the gate to be open; true if it is. */
    public boolean awaitOpen(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!open) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    @PreDestroy
    void stop() {
        if (poller != null) {
            poller.interrupt();
        }
    }
}
