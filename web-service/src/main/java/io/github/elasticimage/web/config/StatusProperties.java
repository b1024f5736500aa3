package io.github.elasticimage.web.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;

/**
 * Settings of {@code GET /api/v1/status} on the management port ({@code app.web.*}, beside {@link WebProperties}).
 *
 * @param scalingTimelineUrl the local autoscaler's {@code GET /scaling/timeline} ({@code SCALING_TIMELINE_URL}), read
 *                           for the running and desired worker counts; when empty the status has no worker counts
 */
@ConfigurationProperties("app.web")
public record StatusProperties(@Nullable String scalingTimelineUrl) {
}
