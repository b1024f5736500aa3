package io.github.elasticimage.imagesmoke;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A stand-in for the EC2 instance metadata service (IMDSv2) on loopback: a token for a PUT to /latest/api/token, and
 * the Auto Scaling target lifecycle state for a GET that presents it. Enough for the worker's lifecycle gate.
 */
final class StandInImds implements AutoCloseable {

    private final HttpServer server;
    private final String token = UUID.randomUUID().toString();
    private final String state;

    private StandInImds(String state) throws IOException {
        this.state = state;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/latest/api/token", this::token);
        server.createContext("/latest/meta-data/autoscaling/target-lifecycle-state", this::state);
        server.start();
    }

    static StandInImds start(String state) {
        try {
            return new StandInImds(state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void token(HttpExchange exchange) throws IOException {
        boolean ok = "PUT".equals(exchange.getRequestMethod())
                && exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds") != null;
        reply(exchange, ok ? 200 : 400, ok ? token : "");
    }

    private void state(HttpExchange exchange) throws IOException {
        boolean ok = token.equals(exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"));
        reply(exchange, ok ? 200 : 401, ok ? state : "");
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
