package io.github.elasticimage.loadtest;

import io.github.elasticimage.scaling.ScalingPoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The local autoscaler's timeline: {@code GET <url>} answers a JSON array of {@link ScalingPoint}s
 * ({@code {"t": epochMillis, "visible": n, "inFlight": n, "desired": n, "running": n}}).
 */
public final class HttpTimelineSource implements ScalingSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final HttpClient http;

    public HttpTimelineSource(URI url) {
        this.url = url;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
    }

    @Override
    public List<ScalingPoint> sample() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2))
                .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + " from " + url);
        }
        return parse(response.body());
    }

    static List<ScalingPoint> parse(String body) throws IOException {
        JsonNode root = JSON.readTree(body);
        if (root == null || !root.isArray()) {
            throw new IOException("timeline is not a JSON array");
        }
        List<ScalingPoint> points = new ArrayList<>();
        for (JsonNode node : root) {
            if (node.hasNonNull("t")) {
                points.add(new ScalingPoint(node.get("t").asLong(), node.path("visible").asLong(),
                        node.path("inFlight").asLong(), node.path("desired").asInt(), node.path("running").asInt()));
            }
        }
        return points;
    }

    @Override
    public String describe() {
        return url.toString();
    }
}
