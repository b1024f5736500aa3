package io.github.elasticimage.loadtest.aws;

import io.github.elasticimage.loadtest.ScalingSource;
import io.github.elasticimage.scaling.ScalingPoint;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The worker tier on AWS: the Auto Scaling group's desired capacity and in-service instances, and the request queue's
 * approximate visible and in-flight message counts, read once per sample with the SDK's default credentials chain.
 * Used only when {@code --asg-name} or {@code --queue-url} is given and credentials resolve. The clients use the given
 * region (the deployment's, {@code --region}) or, when it is null, the SDK's default region chain.
 */
public final class AwsScalingSource implements ScalingSource {

    private final String asgName;
    private final String queueUrl;
    private final AutoScalingClient autoScaling;
    private final SqsClient sqs;

    /**
     * Clients for the group and/or the queue. {@code region} null means the SDK's default region chain;
     * {@code endpoint} null means the region's AWS endpoints (tests point both clients at a loopback server).
     */
    AwsScalingSource(String asgName, String queueUrl, Region region, AwsCredentialsProvider credentials,
            URI endpoint) {
        this.asgName = asgName;
        this.queueUrl = queueUrl;
        this.autoScaling = asgName == null ? null : build(AutoScalingClient.builder(), region, credentials, endpoint);
        this.sqs = queueUrl == null ? null : build(SqsClient.builder(), region, credentials, endpoint);
    }

    /** Both clients alike: the given credentials and region (or the SDK's chain), URLConnection, an optional endpoint. */
    private static <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C build(B builder, Region region,
            AwsCredentialsProvider credentials, URI endpoint) {
        builder.credentialsProvider(credentials).httpClientBuilder(UrlConnectionHttpClient.builder());
        if (region != null) {
            builder.region(region);
        }
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder.build();
    }

    /**
     * A source for the given group and/or queue in {@code region} (null: the SDK's default region chain), or empty
     * with the reason when no credentials (or no region) resolve.
     */
    public static Optional<AwsScalingSource> create(String asgName, String queueUrl, Region region,
            StringBuilder whyNot) {
        DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
        try {
            credentials.resolveCredentials();
        } catch (SdkClientException e) {
            whyNot.append("no AWS credentials from the default chain (environment, profile, container or instance role)");
            credentials.close();
            return Optional.empty();
        }
        try {
            return Optional.of(new AwsScalingSource(asgName, queueUrl, region, credentials, null));
        } catch (SdkClientException e) {
            whyNot.append("AWS clients: ").append(e.getMessage());
            credentials.close();
            return Optional.empty();
        }
    }

    @Override
    public List<ScalingPoint> sample() {
        int desired = -1;
        int running = -1;
        if (autoScaling != null) {
            List<AutoScalingGroup> groups = autoScaling.describeAutoScalingGroups(b -> b.autoScalingGroupNames(asgName))
                    .autoScalingGroups();
            if (groups.isEmpty()) {
                throw new IllegalStateException("no Auto Scaling group named " + asgName);
            }
            AutoScalingGroup group = groups.get(0);
            desired = group.desiredCapacity();
            running = (int) group.instances().stream()
                    .filter(instance -> instance.lifecycleState() == LifecycleState.IN_SERVICE).count();
        }
        long visible = -1;
        long inFlight = -1;
        if (sqs != null) {
            Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl)
                    .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
            visible = Long.parseLong(attributes.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "-1"));
            inFlight = Long.parseLong(attributes.getOrDefault(
                    QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, "-1"));
        }
        return List.of(new ScalingPoint(System.currentTimeMillis(), visible, inFlight, desired, running));
    }

    @Override
    public String describe() {
        StringBuilder text = new StringBuilder("AWS");
        Region region = region();
        if (region != null) {
            text.append(' ').append(region.id());
        }
        if (asgName != null) {
            text.append(" ASG ").append(asgName);
        }
        if (queueUrl != null) {
            text.append(" queue ").append(queueUrl);
        }
        return text.toString();
    }

    /** The region the clients sign for and call (the first client's; both are built with the same). */
    Region region() {
        if (autoScaling != null) {
            return autoScaling.serviceClientConfiguration().region();
        }
        return sqs == null ? null : sqs.serviceClientConfiguration().region();
    }

    @Override
    public void close() {
        if (autoScaling != null) {
            autoScaling.close();
        }
        if (sqs != null) {
            sqs.close();
        }
    }
}
