package io.github.elasticimage.classifier.lifecycle;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import jakarta.inject.Singleton;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The lifecycle gate in {@code /health} details ({@code lifecycleGate: {open, state}}). Always UP: a worker waiting in
 * the warm pool is healthy (the launch script waits for its 200 before the instance is stopped or put in service).
 */
@Singleton
public class LifecycleGateHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final LifecycleGate gate;

    public LifecycleGateHealthIndicator(LifecycleGate gate) {
        this.gate = gate;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("open", gate.isOpen());
        details.put("state", gate.state());
        healthStatus = HealthStatus.UP;
        return details;
    }

    @Override
    public String getName() {
        return "lifecycleGate";
    }
}
