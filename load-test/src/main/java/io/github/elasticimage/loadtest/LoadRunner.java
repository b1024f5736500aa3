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
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * Sends the requests: all prepared first, then released from one start moment, at most {@code concurrency} in flight
 * (a closed burst when concurrency equals the number of requests). Every request's latency is counted from that start
 * moment. A request answered 503 or 429 with a {@code Retry-After} header (the web tier's admission pushing back) is
 * sent again after the delay the header gives, plus a little jitter, within the {@link Retries} bounds; it keeps its
 * concurrency slot meanwhile, as a waiting caller would, and its times run from its first attempt to its last answer.
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
                           String apiKey, Retries retries) {

        public Settings(URI classifyUrl, String field, int requests, int concurrency, Duration timeout, String apiKey) {
            this(classifyUrl, field, requests, concurrency, timeout, apiKey, Retries.OFF);
        }

        public Settings(URI classifyUrl, String field, int requests, int concurrency, Duration timeout) {
            this(classifyUrl, field, requests, concurrency, timeout, null);
        }
    }

    /**
     * How a request answered 503 or 429 with {@code Retry-After} is retried: at most {@code maxRetries} times, and no
     * retry that would start later than {@code retryFor} after the request's first attempt (0 retries: off).
     */
    public record Retries(int maxRetries, Duration retryFor) {

        public static final Retries OFF = new Retries(0, Duration.ZERO);

        public Retries {
            if (maxRetries < 0 || retryFor.isNegative()) {
                throw new IllegalArgumentException("retries must not be negative: " + maxRetries + ", " + retryFor);
            }
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
            Attempts attempts = new Attempts(System.nanoTime() - start);
            attempt(perImage.get(i % perImage.size()), settings.retries(), start, attempts, wholeExchangeMillis,
                    (response, failure) -> {
                        long end = System.nanoTime() - start;
                        RequestResult result;
                        try {
                            result = failure == null
                                    ? fromResponse(index, image, attempts.firstSent, end, response, settings.field(),
                                    expected)
                                    : fromFailure(index, image, attempts.firstSent, end, failure, expected);
                        } catch (RuntimeException unexpected) {
                            result = fromFailure(index, image, attempts.firstSent, end, unexpected, expected);
                        }
                        result = result.withAttempts(attempts.count, attempts.seen503,
                                failure == null && retryAfter(response).isPresent());
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

    /** One request's attempts so far: when the first was sent (ns after the start moment), how many, how many 503s. */
    private static final class Attempts {
        final long firstSent;
        volatile int count;
        volatile int seen503;

        Attempts(long firstSent) {
            this.firstSent = firstSent;
        }
    }

    /**
     * Sends {@code request}, and again after each 503 or 429 with {@code Retry-After} while the bounds allow; tells
     * {@code done} of the last answer (or failure). Each attempt has the whole-exchange timeout of its own.
     */
    private void attempt(HttpRequest request, Retries retries, long start, Attempts attempts, long wholeExchangeMillis,
                         BiConsumer<HttpResponse<String>, Throwable> done) {
        attempts.count++;
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .orTimeout(wholeExchangeMillis, TimeUnit.MILLISECONDS)
                .whenComplete((response, failure) -> {
                    if (failure == null) {
                        if (response.statusCode() == 503) {
                            attempts.seen503++;
                        }
                        Optional<Duration> after = retryAfter(response);
                        if (after.isPresent()) {
                            long delayMillis = withJitter(after.get().toMillis());
                            long sinceFirstMillis = (System.nanoTime() - start - attempts.firstSent) / 1_000_000;
                            if (attempts.count - 1 < retries.maxRetries()
                                    && sinceFirstMillis + delayMillis <= retries.retryFor().toMillis()) {
                                CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS).execute(() -> {
                                    try {
                                        attempt(request, retries, start, attempts, wholeExchangeMillis, done);
                                    } catch (RuntimeException notSent) {
                                        done.accept(null, notSent);
                                    }
                                });
                                return;
                            }
                        }
                    }
                    done.accept(response, failure);
                });
    }

    /**
     * The wait a 503 or 429 answer asks for in its {@code Retry-After} header (delay-seconds or an HTTP-date, RFC 9110
     * section 10.2.3); empty for any other answer, or when the header is missing or unreadable (not retried).
     */
    static Optional<Duration> retryAfter(HttpResponse<?> response) {
        if (response == null || (response.statusCode() != 503 && response.statusCode() != 429)) {
            return Optional.empty();
        }
        return response.headers().firstValue("Retry-After").map(String::strip).flatMap(LoadRunner::parseRetryAfter);
    }

    static Optional<Duration> parseRetryAfter(String value) {
        if (value.matches("[0-9]{1,9}")) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(value)));
        }
        try {
            Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(Instant.now(), at);
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        } catch (DateTimeParseException notADate) {
            return Optional.empty();
        }
    }

    /**
     * The delay plus a random share of up to a quarter of it (at least 100 ms), so that the callers one pushback
     * turned away do not all come back in the same millisecond.
     */
    static long withJitter(long delayMillis) {
        return delayMillis + ThreadLocalRandom.current().nextLong(Math.max(100, delayMillis / 4) + 1);
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
