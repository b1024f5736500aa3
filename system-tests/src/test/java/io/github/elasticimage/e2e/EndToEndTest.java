package io.github.elasticimage.e2e;

import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.loadtest.Csv;
import io.github.elasticimage.local.LocalSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The full local system (real ElasticMQ and S3Proxy, the web tier and a classifier worker as their own JVMs, the real
 * model) classifies the 40 labelled ImageNet photos of ../shared/fixtures, sent all at once.
 */
class EndToEndTest {

    private static final Path FIXTURES = Path.of(System.getProperty("shared.dir", "../../shared"), "fixtures");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static LocalSystem stack;

    @BeforeAll
    static void startStack() {
        stack = SharedLocalSystem.get();
    }

    @Test
    void classifiesTheFixturePhotosConcurrentlyAndRoutesEveryAnswerToItsCaller() throws Exception {
        Map<String, String> truth = readLabels(FIXTURES.resolve("imagenet-sample-labels.csv"));
        List<Path> photos;
        try (Stream<Path> files = Files.list(FIXTURES.resolve("imagenet-sample"))) {
            photos = files.filter(p -> truth.containsKey(p.getFileName().toString())).sorted().toList();
        }
        assertEquals(40, photos.size(), "expected the 40 fixture photos in " + FIXTURES.toAbsolutePath());

        // One at a time first: what the classifier says for each photo when nothing else is in flight.
        Map<Path, String> alone = new LinkedHashMap<>();
        for (Path photo : photos) {
            alone.put(photo, classify(photo).join());
        }

        // Then all 40 at once: every caller must get the label of its own photo.
        long start = System.nanoTime();
        List<CompletableFuture<String>> futures = new ArrayList<>();
        for (Path photo : photos) {
            futures.add(classify(photo));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - start) / 1_000_000;

        int correct = 0;
        int routed = 0;
        for (int i = 0; i < photos.size(); i++) {
            Path photo = photos.get(i);
            String label = futures.get(i).join();
            if (label.equals(alone.get(photo))) {
                routed++;
            }
            if (label.equals(truth.get(photo.getFileName().toString()))) {
                correct++;
            }
        }
        System.out.printf("e2e: photos=%d correct=%d/%d routed=%d/%d concurrent_ms=%d%n", photos.size(), correct,
                photos.size(), routed, photos.size(), ms);
        assertEquals(photos.size(), routed, "a concurrent caller got another photo's label");
        assertTrue(correct >= 32, "top-1 accuracy too low: " + correct + "/40 (floor 32)");
    }

    private static CompletableFuture<String> classify(Path photo) throws IOException {
        HttpRequest request = MultipartForm.create()
                .file("myfile", photo.getFileName().toString(), "image/jpeg", Files.readAllBytes(photo))
                .post(HttpRequest.newBuilder(URI.create(stack.webUrl() + "/classify"))
                        .timeout(Duration.ofSeconds(90)))
                .build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new IllegalStateException(photo.getFileName() + ": HTTP " + response.statusCode() + " "
                        + response.body());
            }
            return response.body();
        });
    }

    /** file -> true label, from the fixtures' CSV ({@code "file",wnid,"label"}). */
    static Map<String, String> readLabels(Path csv) throws IOException {
        Map<String, String> labels = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            List<String> fields = Csv.split(line);
            if (fields.size() >= 3) {
                labels.put(fields.get(0), fields.get(2));
            }
        }
        return labels;
    }
}
