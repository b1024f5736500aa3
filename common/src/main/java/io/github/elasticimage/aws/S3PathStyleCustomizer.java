package io.github.elasticimage.aws;

import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * S3-compatible servers on loopback (S3Proxy) need path-style addressing ({@code http://host:port/bucket/key});
 * micronaut-aws has no property for it, so {@code app.s3.force-path-style=true} switches it on here.
 */
@Singleton
@Requires(property = "app.s3.force-path-style", value = "true")
public class S3PathStyleCustomizer implements BeanCreatedEventListener<S3ClientBuilder> {

    @Override
    public S3ClientBuilder onCreated(BeanCreatedEvent<S3ClientBuilder> event) {
        return event.getBean().forcePathStyle(true);
    }
}
