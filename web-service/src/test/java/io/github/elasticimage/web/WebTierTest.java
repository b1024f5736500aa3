package io.github.elasticimage.web;

import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.TestInstance;

import java.util.HashMap;
import java.util.Map;

/**
 * A {@code @MicronautTest} of the web tier against the shared local SQS and S3 servers ({@link #CLOUD}): one context per
 * test class (PER_CLASS, so {@link #getProperties} may use the instance's fields), its settings
 * {@link WebTestProperties}' plus those the test adds in {@link #configure}, and {@link #client} on its public port.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WebTierTest implements TestPropertyProvider {

    static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();

    @Inject
    @Client("/")
    HttpClient client;

    @Override
    public final Map<String, String> getProperties() {
        Map<String, String> properties = new HashMap<>(WebTestProperties.of(CLOUD));
        configure(properties);
        return properties;
    }

    /** This test's settings, added to (or read from) the web tier's; none by default. */
    protected void configure(Map<String, String> properties) {
    }
}
