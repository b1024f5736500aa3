package io.github.elasticimage.loadtest.aws;

import io.github.elasticimage.loadtest.ScalingPoint;
import io.github.elasticimage.loadtest.ScalingSource;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The worker tier on AWS: the Auto Scaling group's desired capacity and in-service instances, and the request queue's
 * approximate visible and in-flight message counts, read once per sample with the SDK's default credentials chain.
 * Used only when {@code --asg-name} or {@code --queue-url} is given and credentials resolve.
 */
public final class AwsScalingSource implements ScalingSource {

    private final String asgName;
    private final String queueUrl;
    private final AutoScalingClient autoScaling;
    private final SqsClient sqs;

    private AwsScalingSource(String asgName, String queueUrl, DefaultCredentialsProvider credentials) {
        this.asgName = asgName;
        this.queueUrl = queueUrl;
        this.autoScaling = asgName == null ? null : AutoScalingClient.builder().credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        this.sqs = queueUrl == null ? null : SqsClient.builder().credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    /**
     * A source for the given group and/or queue, or empty with the reason when no credentials (or no region) resolve.
     */
    public static Optional<AwsScalingSource> create(String asgName, String queueUrl, StringBuilder whyNot) {
        DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
        try {
            credentials.resolveCredentials();
        } catch (SdkClientException e) {
            whyNot.append("no AWS credentials from the default chain (environment, profile, container or instance role)");
            credentials.close();
            return Optional.empty();
        }
        try {
            return Optional.of(new AwsScalingSource(asgName, queueUrl, credentials));
        } catch (SdkClientException e) {
            whyNot.append("AWS clients: ").append(e.getMessage());
            credentials.close();
            return Optional.empty();
        }
    }

    @Override
    public List<ScalingPoint> sample() {
        long desired = -1;
        long running = -1;
        if (autoScaling != null) {
            List<AutoScalingGroup> groups = autoScaling.describeAutoScalingGroups(b -> b.autoScalingGroupNames(asgName))
                    .autoScalingGroups();
            if (groups.isEmpty()) {
                throw new IllegalStateException("no Auto Scaling group named " + asgName);
            }
            AutoScalingGroup group = groups.get(0);
            desired = group.desiredCapacity();
            running = group.instances().stream()
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
        if (asgName != null) {
            text.append(" ASG ").append(asgName);
        }
        if (queueUrl != null) {
            text.append(" queue ").append(queueUrl);
        }
        return text.toString();
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
