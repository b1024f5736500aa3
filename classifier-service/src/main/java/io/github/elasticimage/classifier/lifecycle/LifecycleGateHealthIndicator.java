package io.github.elasticimage.classifier.lifecycle;

import io.github.elasticimage.classifier.job.RequestPoller;
import io.micronaut.context.BeanProvider;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import jakarta.inject.Singleton;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The lifecycle gate in {@code /health} details ({@code lifecycleGate: {open, state, jobsInFlight}}). Always UP: a
 * worker waiting in the warm pool is healthy (the launch script waits for its 200 before the instance is stopped or put
 * in service). {@code jobsInFlight}: the jobs this worker holds; when scale-in returns the instance to a Hibernated or
 * Running pool, the launch script waits for 0 (the gate closed, the jobs done) before the instance is hibernated.
 */
@Singleton
public class LifecycleGateHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final LifecycleGate gate;
    private final BeanProvider<RequestPoller> poller;

    public LifecycleGateHealthIndicator(LifecycleGate gate, BeanProvider<RequestPoller> poller) {
        this.gate = gate;
        this.poller = poller;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("open", gate.isOpen());
        details.put("state", gate.state());
        poller.ifPresent(p -> details.put("jobsInFlight", p.inFlight()));
        healthStatus = HealthStatus.UP;
        return details;
    }

    @Override
    public String getName() {
        return "lifecycleGate";
    }
}
