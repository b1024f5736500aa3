package io.github.elasticimage.aws;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;

/**
 * The HTTP client of every S3 and SQS client of a service: the AWS SDK's Apache HttpClient 5 client, with a
 * connection pool of {@code app.aws.max-connections} (environment {@code APP_AWS_MAX_CONNECTIONS}; default 64: the web
 * tier has up to that many uploads and queue calls at once). Chosen over the JDK URLConnection client because it is
 * faster per call and spends less client CPU, which on a small host competes with inference (the figures:
 * docs/decisions/0003-sdk-http-client-apache5.md).
 */
@Factory
public class SdkHttpClientFactory {

    @Singleton
    @Bean(preDestroy = "close")
    SdkHttpClient sdkHttpClient(@Value("${app.aws.max-connections:64}") int maxConnections) {
        return Apache5HttpClient.builder().maxConnections(maxConnections).build();
    }
}
