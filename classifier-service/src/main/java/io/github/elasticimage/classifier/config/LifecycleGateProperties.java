package io.github.elasticimage.classifier.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.net.URI;
import java.time.Duration;

/**
 * The lifecycle gate ({@code app.lifecycle-gate.*}, docs/scaling.md "Warm workers"): whether the worker asks the EC2
 * instance metadata service if its instance is InService before it takes any request.
 *
 * @param mode         {@code off} (takes work at once: local runs, tests) or {@code imds} (only while the Auto Scaling
 *                     target lifecycle state is {@code InService}) ({@code LIFECYCLE_GATE})
 * @param imdsEndpoint base URL of the instance metadata service ({@code IMDS_ENDPOINT})
 * @param pollInterval how often the state is read ({@code LIFECYCLE_GATE_POLL_INTERVAL})
 */
@ConfigurationProperties("app.lifecycle-gate")
public record LifecycleGateProperties(
        @NotNull @Pattern(regexp = "off|imds") String mode,
        @NotNull URI imdsEndpoint,
        @NotNull Duration pollInterval) {

    public boolean enabled() {
        return "imds".equals(mode);
    }
}
