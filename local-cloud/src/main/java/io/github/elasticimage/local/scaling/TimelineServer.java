package io.github.elasticimage.local.scaling;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code GET /scaling/timeline}: the autoscaler's decisions as a JSON array of
 * {@code {"t": epochMillis, "visible": n, "inFlight": n, "desired": n, "running": n}}, oldest first. The load-test CLI
 * reads it ({@code --timeline-url}, default http://127.0.0.1:8079/scaling/timeline).
 */
public final class TimelineServer implements AutoCloseable {

    public static final String PATH = "/scaling/timeline";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;

    private TimelineServer(HttpServer server) {
        this.server = server;
    }

    public static TimelineServer start(String host, int port, Supplier<? extends java.util.List<?>> timeline) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
            server.createContext(PATH, exchange -> respond(exchange, timeline));
            server.setExecutor(Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "timeline-http");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return new TimelineServer(server);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the scaling timeline on " + host + ":" + port, e);
        }
    }

    private static void respond(HttpExchange exchange, Supplier<? extends java.util.List<?>> timeline)
            throws IOException {
        try (exchange) {
            if (!exchange.getRequestURI().getPath().equals(PATH)) {
                send(exchange, 404, "{\"error\":\"not found\"}");
            } else if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().add("Allow", "GET");
                send(exchange, 405, "{\"error\":\"method not allowed\"}");
            } else {
                send(exchange, 200, JSON.writeValueAsString(timeline.get()));
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public URI url() {
        InetSocketAddress address = server.getAddress();
        return URI.create("http://" + address.getHostString() + ":" + address.getPort() + PATH);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
