package io.github.elasticimage.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The EC2 instance metadata service as IMDSv2 answers it, on loopback, for tests of the worker's lifecycle gate: a
 * session token for {@code PUT /latest/api/token} (with the TTL header), and the Auto Scaling target lifecycle state
 * for a {@code GET} that presents an issued token (401 otherwise). The state can be switched while it runs.
 */
public final class StandInInstanceMetadata implements AutoCloseable {

    private final HttpServer server;
    private final Set<String> issued = ConcurrentHashMap.newKeySet();
    private final AtomicInteger tokens = new AtomicInteger();
    private final AtomicInteger stateReads = new AtomicInteger();
    private final AtomicInteger refusedWithoutToken = new AtomicInteger();
    private volatile String state;

    private StandInInstanceMetadata(String state) throws IOException {
        this.state = state;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/latest/api/token", this::token);
        server.createContext("/latest/meta-data/autoscaling/target-lifecycle-state", this::state);
        server.start();
    }

    /** Starts a stand-in that answers {@code state} (e.g. {@code InService}, {@code Warmed:Running}). */
    public static StandInInstanceMetadata start(String state) {
        try {
            return new StandInInstanceMetadata(state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL the worker's IMDS_ENDPOINT / app.lifecycle-gate.imds-endpoint takes. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void state(String state) {
        this.state = state;
    }

    public int tokens() {
        return tokens.get();
    }

    public int stateReads() {
        return stateReads.get();
    }

    public int refusedWithoutToken() {
        return refusedWithoutToken.get();
    }

    private void token(HttpExchange exchange) throws IOException {
        String ttl = exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds");
        if (!"PUT".equals(exchange.getRequestMethod()) || ttl == null) {
            reply(exchange, 400, "");
            return;
        }
        String token = UUID.randomUUID().toString();
        issued.add(token);
        tokens.incrementAndGet();
        reply(exchange, 200, token);
    }

    private void state(HttpExchange exchange) throws IOException {
        String token = exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
        if (!"GET".equals(exchange.getRequestMethod()) || token == null || !issued.contains(token)) {
            refusedWithoutToken.incrementAndGet();
            reply(exchange, 401, "");
            return;
        }
        stateReads.incrementAndGet();
        reply(exchange, 200, state);
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
