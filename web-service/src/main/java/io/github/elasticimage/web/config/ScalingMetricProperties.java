package io.github.elasticimage.web.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;

import java.time.Duration;

/**
 * The backlog the primary scaling alarms read ({@code app.scaling-metric.*}, docs/configuration.md): off locally, on in
 * the AWS user data, which passes the namespace and interval of {@code scaling-policy.json}'s {@code metric.primary}.
 *
 * @param enabled         publish ({@code SCALING_METRIC_ENABLED})
 * @param namespace       CloudWatch namespace ({@code SCALING_METRIC_NAMESPACE}); required when enabled
 * @param interval        time between two samples ({@code SCALING_METRIC_INTERVAL})
 * @param classifierGroup the classifier Auto Scaling group whose desired capacity is published
 *                        ({@code CLASSIFIER_GROUP_NAME}); required when enabled
 */
@ConfigurationProperties("app.scaling-metric")
public record ScalingMetricProperties(boolean enabled, @Nullable String namespace, Duration interval,
                                      @Nullable String classifierGroup) {
}
