package io.github.elasticimage.web;

import io.github.elasticimage.local.LocalAwsServers;

import java.util.HashMap;
import java.util.Map;

/**
 * Settings of a web tier under test: the local servers' endpoints, a random public port and a free management port of
 * its own (application.yml's defaults, 8080 and 8085, would clash between two instances in one test and between test
 * runs on one machine). The management port comes from {@link LocalAwsServers#freePort}, below the ephemeral range:
 * Micronaut's SocketUtils picked one anywhere, and an outgoing connection of another test took it before the server
 * bound it ("Unable to start Micronaut server on *:45576" in CI).
 */
final class WebTestProperties {

    static final String MANAGEMENT_PORT = "endpoints.all.port";

    private WebTestProperties() {
    }

    static Map<String, String> of(LocalAwsServers cloud) {
        Map<String, String> properties = new HashMap<>(cloud.serviceProperties());
        properties.put("micronaut.server.port", "-1");
        properties.put(MANAGEMENT_PORT, Integer.toString(LocalAwsServers.freePort("127.0.0.1")));
        return properties;
    }
}
