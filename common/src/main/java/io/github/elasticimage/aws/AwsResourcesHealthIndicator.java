package io.github.elasticimage.aws;

import io.micronaut.context.annotation.Requires;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Health is UP only when the request queue and both buckets answer. {@code /health} then returns 200, else 503.
 */
@Singleton
@Readiness
@Requires(beans = {SqsClient.class, S3Client.class})
public class AwsResourcesHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final SqsClient sqs;
    private final S3Client s3;
    private final QueueUrls queueUrls;
    private final ResourceNames names;

    public AwsResourcesHealthIndicator(SqsClient sqs, S3Client s3, QueueUrls queueUrls, ResourceNames names) {
        this.sqs = sqs;
        this.s3 = s3;
        this.queueUrls = queueUrls;
        this.names = names;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        Map<String, Object> details = new LinkedHashMap<>();
        String url = queueUrls.urlOf(names.requestQueue());
        var attributes = sqs.getQueueAttributes(b -> b.queueUrl(url)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes();
        details.put("requestQueue", names.requestQueue());
        details.put("requestQueueVisible", attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
        s3.headBucket(b -> b.bucket(names.inputBucket()));
        s3.headBucket(b -> b.bucket(names.outputBucket()));
        details.put("buckets", names.inputBucket() + "," + names.outputBucket());
        healthStatus = HealthStatus.UP;
        return details;
    }

    @Override
    public String getName() {
        return "queueAndBuckets";
    }
}
