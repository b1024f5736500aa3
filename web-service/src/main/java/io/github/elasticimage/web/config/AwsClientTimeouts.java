package io.github.elasticimage.web.config;

import io.micronaut.context.annotation.Value;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;

import java.time.Duration;

/**
 * Bounds every SQS and S3 call of the web tier, so a caller gets a 503 within a known time when the queue or storage
 * is down or hangs, instead of waiting for the SDK's defaults (no overall limit). The SDK's default retry policy stays
 * (retries with backoff on throttling, 5xx and connection errors); {@code app.aws.api-call-timeout} bounds one call
 * with all its retries, {@code app.aws.api-call-attempt-timeout} one attempt. The response poller's long poll sets its
 * own longer timeouts per request.
 */
@Singleton
public class AwsClientTimeouts {

    private static final Logger LOG = LoggerFactory.getLogger(AwsClientTimeouts.class);

    private final Duration apiCallTimeout;
    private final Duration attemptTimeout;

    public AwsClientTimeouts(@Value("${app.aws.api-call-timeout:10s}") Duration apiCallTimeout,
                             @Value("${app.aws.api-call-attempt-timeout:4s}") Duration attemptTimeout) {
        this.apiCallTimeout = apiCallTimeout;
        this.attemptTimeout = attemptTimeout;
    }

    public Duration apiCallTimeout() {
        return apiCallTimeout;
    }

    public Duration attemptTimeout() {
        return attemptTimeout;
    }

    <B extends AwsClientBuilder<B, ?>> B apply(B builder, String service) {
        ClientOverrideConfiguration current = builder.overrideConfiguration();
        ClientOverrideConfiguration.Builder config = current == null
                ? ClientOverrideConfiguration.builder() : current.toBuilder();
        LOG.debug("{} client: api call timeout {}, attempt timeout {}", service, apiCallTimeout, attemptTimeout);
        return builder.overrideConfiguration(config.apiCallTimeout(apiCallTimeout)
                .apiCallAttemptTimeout(attemptTimeout).build());
    }

    /** Applies the timeouts to the SQS client builder. */
    @Singleton
    public static class Sqs implements BeanCreatedEventListener<SqsClientBuilder> {
        private final AwsClientTimeouts timeouts;

        Sqs(AwsClientTimeouts timeouts) {
            this.timeouts = timeouts;
        }

        @Override
        public SqsClientBuilder onCreated(BeanCreatedEvent<SqsClientBuilder> event) {
            return timeouts.apply(event.getBean(), "SQS");
        }
    }

    /** Applies the timeouts to the S3 client builder. */
    @Singleton
    public static class S3 implements BeanCreatedEventListener<S3ClientBuilder> {
        private final AwsClientTimeouts timeouts;

        S3(AwsClientTimeouts timeouts) {
            this.timeouts = timeouts;
        }

        @Override
        public S3ClientBuilder onCreated(BeanCreatedEvent<S3ClientBuilder> event) {
            return timeouts.apply(event.getBean(), "S3");
        }
    }
}
