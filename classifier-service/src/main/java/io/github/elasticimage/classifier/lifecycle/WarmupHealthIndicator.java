package io.github.elasticimage.classifier.lifecycle;

import io.github.elasticimage.classifier.model.InferencePool;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import jakarta.inject.Singleton;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JIT warm-up in {@code /health} ({@code warmup: {done, images, ms}}): DOWN, so {@code /health} answers 503, until
 * the warm-up is done. Readiness therefore means "model loaded and warmed up": the local launcher and the instance's
 * launch script wait for the 200 (docs/performance.md, start-up).
 */
@Singleton
public class WarmupHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final InferencePool inference;

    public WarmupHealthIndicator(InferencePool inference) {
        this.inference = inference;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        boolean done = inference.isWarm();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("done", done);
        details.put("images", inference.warmupImages());
        if (done) {
            details.put("ms", inference.warmupMillis());
        }
        healthStatus = done ? HealthStatus.UP : HealthStatus.DOWN;
        return details;
    }

    @Override
    public String getName() {
        return "warmup";
    }
}
