package io.github.elasticimage.local.scaling;

import io.github.elasticimage.scaling.ScalingPoint;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TimelineServerTest {

    @Test
    void servesTheTimelineInItsDocumentedJsonShape() throws Exception {
        List<ScalingPoint> points = List.of(new ScalingPoint(1764300000000L, 4, 1, 2, 1),
                new ScalingPoint(1764300005000L, 0, 1, 2, 2));
        try (TimelineServer server = TimelineServer.start("127.0.0.1", 0, () -> points)) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.url())
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            // The field names and order the web tier's status and the load-test CLI read.
            assertEquals("[{\"t\":1764300000000,\"visible\":4,\"inFlight\":1,\"desired\":2,\"running\":1},"
                    + "{\"t\":1764300005000,\"visible\":0,\"inFlight\":1,\"desired\":2,\"running\":2}]", response.body());
        }
    }
}
