package io.github.elasticimage.loadtest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the web tier and the local autoscaler on 127.0.0.1, answering like the real ones:
 * {@code POST /classify} holds each request for a fixed latency, then answers the label given for the uploaded file
 * name ({@code <stem>:<label>} for the {@code inputFile} field), a JSON 503 for files named {@code fail*}, and nothing
 * for {@code slow*} files until long after any test timeout. {@code GET /scaling/timeline} answers the history of
 * readings, one new reading per call: 4 workers running while any classify request is held, else 1. Told to with
 * {@link #refuseNext}, it refuses the next classify requests at once with a status and, when given, a
 * {@code Retry-After} header, as the web tier's admission does.
 */
final class StubWebTier implements AutoCloseable {

    private static final Pattern DISPOSITION = Pattern.compile("name=\"([^\"]*)\"; filename=\"([^\"]*)\"");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(200);
    private final long latencyMillis;
    private final Map<String, String> labels;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger received = new AtomicInteger();
    private final List<String> timeline = new ArrayList<>();

    private final List<Long> arrivals = new CopyOnWriteArrayList<>();
    private final AtomicInteger refusals = new AtomicInteger();
    private volatile int refusalStatus;
    private volatile String refusalRetryAfter;

    /** The API key every classify request must carry as a bearer token, or null (keys off). */
    private volatile String requiredKey;

    StubWebTier(long latencyMillis, Map<String, String> labels) throws IOException {
        this.latencyMillis = latencyMillis;
        this.labels = labels;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
        server.setExecutor(executor);
        server.createContext("/classify", this::classify);
        server.createContext("/scaling/timeline", this::timeline);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String timelineUrl() {
        return url() + "/scaling/timeline";
    }

    int received() {
        return received.get();
    }

    /** When each classify request arrived, System.nanoTime(), in arrival order. */
    List<Long> arrivals() {
        return List.copyOf(arrivals);
    }

    /**
     * Refuses the next {@code count} classify requests ({@code Integer.MAX_VALUE}: all) with {@code status}, a JSON
     * reason, and {@code Retry-After: <retryAfter>} unless it is null, before reading their bodies.
     */
    void refuseNext(int count, int status, String retryAfter) {
        refusalStatus = status;
        refusalRetryAfter = retryAfter;
        refusals.set(count);
    }

    /** From now on, answer 401 (as the web tier with API keys on) unless {@code Authorization: Bearer <key>}. */
    void requireKey(String key) {
        this.requiredKey = key;
    }

    private void classify(HttpExchange exchange) throws IOException {
        inFlight.incrementAndGet();
        try {
            received.incrementAndGet();
            arrivals.add(System.nanoTime());
            if (refusals.getAndUpdate(n -> n == Integer.MAX_VALUE ? n : Math.max(0, n - 1)) > 0) {
                if (refusalRetryAfter != null) {
                    exchange.getResponseHeaders().set("Retry-After", refusalRetryAfter);
                }
                send(exchange, refusalStatus, "application/json", "{\"status\":" + refusalStatus + ",\"error\":"
                        + "\"refused\",\"message\":\"uploads in memory on this instance are at their limit\","
                        + "\"id\":\"stub-refused\"}");
                return;
            }
            if (requiredKey != null && !("Bearer " + requiredKey).equals(
                    exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getRequestBody().readAllBytes();
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                send(exchange, 401, "application/json", "{\"status\":401,\"error\":\"Unauthorized\","
                        + "\"message\":\"an API key is required\",\"id\":null}");
                return;
            }
            String head = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1);
            Matcher disposition = DISPOSITION.matcher(head);
            if (!disposition.find()) {
                send(exchange, 400, "application/json",
                        "{\"status\":400,\"error\":\"Bad Request\",\"message\":\"no file\",\"id\":null}");
                return;
            }
            String field = disposition.group(1);
            String file = disposition.group(2);
            sleep(file.startsWith("slow") ? 30_000 : latencyMillis);
            if (file.startsWith("fail")) {
                send(exchange, 503, "application/json", "{\"status\":503,\"error\":\"Service Unavailable\","
                        + "\"message\":\"too many requests in progress\",\"id\":\"stub-id\"}");
                return;
            }
            String label = labels.getOrDefault(file, "unknown");
            String stem = file.contains(".") ? file.substring(0, file.lastIndexOf('.')) : file;
            send(exchange, 200, "text/plain", field.equals("inputFile") ? stem + ":" + label : label);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private synchronized void timeline(HttpExchange exchange) throws IOException {
        int busy = inFlight.get();
        timeline.add(String.format("{\"t\":%d,\"visible\":%d,\"inFlight\":%d,\"desired\":%d,\"running\":%d}",
                System.currentTimeMillis(), busy, Math.min(busy, 4), busy > 0 ? 4 : 1, busy > 0 ? 4 : 1));
        send(exchange, 200, "application/json", "[" + String.join(",", timeline) + "]");
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
