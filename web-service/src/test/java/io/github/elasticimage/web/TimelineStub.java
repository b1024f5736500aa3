package io.github.elasticimage.web;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Stands in for the local autoscaler's {@code GET /scaling/timeline} on a free loopback port: answers a fixed JSON
 * array of {@code {"t","visible","inFlight","desired","running"}} points.
 */
final class TimelineStub implements AutoCloseable {

    private final HttpServer server;

    TimelineStub(String json) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/scaling/timeline", exchange -> {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/scaling/timeline";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
