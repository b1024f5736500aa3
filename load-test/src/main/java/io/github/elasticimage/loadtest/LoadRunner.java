package io.github.elasticimage.loadtest;

import io.github.elasticimage.http.MultipartForm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends the requests: all prepared first, then released from one start moment, at most {@code concurrency} in flight
 * (a closed burst when concurrency equals the number of requests). Every request's latency is counted from that start
 * moment.
 */
public final class LoadRunner {

    /** Told of each request as it completes, from the HTTP client's threads. */
    public interface Listener {
        void completed(RequestResult result);
    }

    /**
     * @param apiKey sent as {@code Authorization: Bearer <key>} when not null (a web tier with API keys on)
     */
    public record Settings(URI classifyUrl, String field, int requests, int concurrency, Duration timeout,
                           String apiKey) {

        public Settings(URI classifyUrl, String field, int requests, int concurrency, Duration timeout) {
            this(classifyUrl, field, requests, concurrency, timeout, null);
        }
    }

    /**
     * @param startEpochMillis wall-clock time of the start moment (to line up with the scaling timeline)
     * @param results          one per request, in request order
     * @param elapsedNanos     from the start moment to the last completion
     */
    public record Run(long startEpochMillis, List<RequestResult> results, long elapsedNanos) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;

    public LoadRunner(Duration timeout) {
        Duration connect = timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connect).build();
    }

    public Run run(Workload workload, Settings settings, Listener listener) throws InterruptedException {
        List<HttpRequest> perImage = new ArrayList<>();
        for (Image image : workload.images()) {
            perImage.add(request(settings, image));
        }
        int n = settings.requests();
        RequestResult[] results = new RequestResult[n];
        Semaphore slots = new Semaphore(settings.concurrency());
        CountDownLatch done = new CountDownLatch(n);
        // Belt and braces: HttpRequest.timeout covers the wait for the response head, this the whole exchange.
        long wholeExchangeMillis = settings.timeout().toMillis() + 1_000;

        long startEpochMillis = System.currentTimeMillis();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            slots.acquire();
            int index = i;
            Image image = workload.imageFor(i);
            String expected = workload.expectedFor(image);
            long sent = System.nanoTime() - start;
            http.sendAsync(perImage.get(i % perImage.size()), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                    .orTimeout(wholeExchangeMillis, TimeUnit.MILLISECONDS)
                    .whenComplete((response, failure) -> {
                        long end = System.nanoTime() - start;
                        RequestResult result;
                        try {
                            result = failure == null
                                    ? fromResponse(index, image, sent, end, response, settings.field(), expected)
                                    : fromFailure(index, image, sent, end, failure, expected);
                        } catch (RuntimeException unexpected) {
                            result = fromFailure(index, image, sent, end, unexpected, expected);
                        }
                        results[index] = result;
                        slots.release();
                        try {
                            listener.completed(result);
                        } finally {
                            done.countDown();
                        }
                    });
        }
        done.await();
        long elapsed = Arrays.stream(results).mapToLong(RequestResult::endNanos).max().orElse(0);
        return new Run(startEpochMillis, List.of(results), elapsed);
    }

    private static HttpRequest request(Settings settings, Image image) {
        MultipartForm form = new MultipartForm("----load-test-" + UUID.randomUUID())
                .file(settings.field(), image.name().replace("\"", "%22"), image.contentType(), image.bytes());
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.classifyUrl())
                .timeout(settings.timeout())
                .header("Accept", "text/plain");
        if (settings.apiKey() != null) {
            request.header("Authorization", "Bearer " + settings.apiKey());
        }
        return form.post(request).build();
    }

    static RequestResult fromResponse(int index, Image image, long sent, long end, HttpResponse<String> response,
                                      String field, String expected) {
        int status = response.statusCode();
        String body = response.body() == null ? "" : response.body().trim();
        if (status == 200) {
            String label = labelOf(body, field, image);
            return new RequestResult(index, image.name(), sent, end, status, null, label, label, expected);
        }
        return new RequestResult(index, image.name(), sent, end, status, "http_" + status, null, errorMessage(body),
                expected);
    }

    /**
     * The label in a 200 answer: the body, without the {@code <stem>:} prefix the {@code inputFile} field gets (or the
     * {@code label} of a JSON answer).
     */
    static String labelOf(String body, String field, Image image) {
        if (body.startsWith("{")) {
            try {
                JsonNode node = JSON.readTree(body);
                if (node != null && node.hasNonNull("label")) {
                    return node.get("label").asText();
                }
            } catch (IOException notJson) {
                // fall through: a plain-text label that happens to start with a brace
            }
        }
        if ("inputFile".equals(field)) {
            String prefix = image.stem() + ":";
            if (body.startsWith(prefix)) {
                return body.substring(prefix.length());
            }
            int colon = body.indexOf(':');
            return colon >= 0 ? body.substring(colon + 1) : body;
        }
        return body;
    }

    /** The message of a JSON error answer {@code {status, error, message, id}}, else the start of the body. */
    static String errorMessage(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.isObject()) {
                String message = node.path("message").asText(node.path("error").asText(""));
                String id = node.path("id").asText("");
                return id.isEmpty() ? message : message + " (id " + id + ")";
            }
        } catch (IOException | RuntimeException notJson) {
            // fall through: not a JSON body
        }
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }

    static RequestResult fromFailure(int index, Image image, long sent, long end, Throwable failure,
                                     String expected) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return new RequestResult(index, image.name(), sent, end, 0, errorKind(cause), null, message, expected);
    }

    static String errorKind(Throwable cause) {
        if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException
                || cause instanceof ClosedChannelException) {
            return "connection";
        }
        if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException) {
            return "timeout";
        }
        if (cause instanceof IOException) {
            String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("reset") || message.contains("closed") || message.contains("eof")
                    || message.contains("no bytes") || message.contains("refused")) {
                return "connection";
            }
            return "io";
        }
        return "error";
    }
}
