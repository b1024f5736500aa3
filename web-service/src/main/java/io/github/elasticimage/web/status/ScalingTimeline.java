package io.github.elasticimage.web.status;

import io.github.elasticimage.scaling.ScalingPoint;
import io.github.elasticimage.web.config.StatusProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The newest point of the local autoscaler's timeline ({@code SCALING_TIMELINE_URL}, a JSON array of
 * {@link ScalingPoint}s): how many workers run and how many it wants. Not configured (the default, and on AWS) means no
 * worker counts. Answers are reused for {@link #MAX_AGE_MS}.
 */
@Singleton
public class ScalingTimeline {

    static final long MAX_AGE_MS = 1_000;
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private record Reading(ScalingPoint point, long atMillis) {
    }

    private final URI url;
    private final JsonMapper json;
    private final HttpClient http;
    private volatile Reading last;

    public ScalingTimeline(StatusProperties properties, JsonMapper json) {
        String configured = properties.scalingTimelineUrl();
        this.url = configured == null || configured.isBlank() ? null : URI.create(configured.strip());
        this.json = json;
        this.http = url == null ? null : HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    public boolean isConfigured() {
        return url != null;
    }

    /**
     * The newest point; empty when not configured or the timeline has no point yet.
     *
     * @throws IOException when the autoscaler does not answer or answers something else than the timeline
     */
    public Optional<ScalingPoint> latest() throws IOException {
        if (url == null) {
            return Optional.empty();
        }
        Reading reading = last;
        long now = System.currentTimeMillis();
        if (reading != null && now - reading.atMillis() < MAX_AGE_MS) {
            return Optional.ofNullable(reading.point());
        }
        ScalingPoint point = fetch();
        last = new Reading(point, now);
        return Optional.ofNullable(point);
    }

    @Nullable
    private ScalingPoint fetch() throws IOException {
        HttpResponse<byte[]> response;
        try {
            response = http.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).header("Accept", "application/json")
                    .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("scaling timeline answered " + response.statusCode());
        }
        JsonNode points = json.readValue(response.body(), JsonNode.class);
        if (points == null || !points.isArray()) {
            throw new IOException("scaling timeline is not a JSON array");
        }
        if (points.size() == 0) {
            return null;
        }
        JsonNode newest = points.get(points.size() - 1);
        return new ScalingPoint(number(newest, "t"), number(newest, "visible"), number(newest, "inFlight"),
                Math.toIntExact(number(newest, "desired")), Math.toIntExact(number(newest, "running")));
    }

    private static long number(JsonNode point, String field) throws IOException {
        JsonNode value = point.get(field);
        if (value == null || !value.isNumber()) {
            throw new IOException("scaling timeline point without a number '" + field + "'");
        }
        return value.getLongValue();
    }
}
