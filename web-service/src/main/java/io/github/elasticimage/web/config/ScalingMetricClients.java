package io.github.elasticimage.web.config;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;

import java.net.URI;

/**
 * The CloudWatch and Auto Scaling clients of the scaling-metric publisher, built like micronaut-aws' SQS and S3
 * clients (its credentials and region chains, the shared HTTP client, {@link AwsClientTimeouts}), which it has no
 * factory for. Only when publishing is on. Endpoint overrides ({@code aws.services.cloudwatch.endpoint-override},
 * {@code aws.services.autoscaling.endpoint-override}) are for tests.
 */
@Factory
@Requires(property = "app.scaling-metric.enabled", value = "true")
public class ScalingMetricClients {

    private final AwsCredentialsProviderChain credentials;
    private final AwsRegionProviderChain region;
    private final SdkHttpClient httpClient;
    private final AwsClientTimeouts timeouts;

    ScalingMetricClients(AwsCredentialsProviderChain credentials, AwsRegionProviderChain region,
                         SdkHttpClient httpClient, AwsClientTimeouts timeouts) {
        this.credentials = credentials;
        this.region = region;
        this.httpClient = httpClient;
        this.timeouts = timeouts;
    }

    @Singleton
    @Bean(preDestroy = "close")
    CloudWatchClient cloudWatchClient(
            @Nullable @Value("${aws.services.cloudwatch.endpoint-override:}") String endpoint) {
        return build(CloudWatchClient.builder(), "CloudWatch", endpoint);
    }

    @Singleton
    @Bean(preDestroy = "close")
    AutoScalingClient autoScalingClient(
            @Nullable @Value("${aws.services.autoscaling.endpoint-override:}") String endpoint) {
        return build(AutoScalingClient.builder(), "Auto Scaling", endpoint);
    }

    private <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C build(B builder, String service,
                                                                                       String endpoint) {
        builder.credentialsProvider(credentials).region(region.getRegion()).httpClient(httpClient);
        if (endpoint != null && !endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return timeouts.apply(builder, service).build();
    }
}
