package io.github.elasticimage.classifier.model;

import io.github.elasticimage.classifier.config.ModelProperties;
import io.github.elasticimage.classifier.config.WorkerProperties;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.image.ImageLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real model, loaded offline from the jar's resources, on real photos. */
class DjlImageClassifierTest {

    static final Path SAMPLES = Path.of(System.getProperty("samples.dir"));
    static final Path FIXTURES = Path.of(System.getProperty("shared.dir"), "fixtures");
    private static DjlImageClassifier classifier;

    static ModelProperties bundledModel() {
        return new ModelProperties("classpath:model/mobilenet_v2_int8.pt", "classpath:model/synset.txt", 256, 224,
                List.of(0.485f, 0.456f, 0.406f), List.of(0.229f, 0.224f, 0.225f), true, 2);
    }

    static WorkerProperties worker() {
        return new WorkerProperties(1, 4, 2, 1, 10, 20, "test", Duration.ofMinutes(3));
    }

    static ImageLimits limits() {
        return new ImageLimits(50_000_000L);
    }

    @BeforeAll
    static void load() {
        classifier = new DjlImageClassifier(bundledModel(), worker(), limits());
    }

    @AfterAll
    static void close() {
        classifier.close();
    }

    private static String top1(Path image) throws IOException {
        return classifier.classify(Files.readAllBytes(image), 1).top().get(0).label();
    }

    @Test
    void knownSamples() throws IOException {
        assertEquals("espresso", top1(SAMPLES.resolve("coffee.png")));
        assertEquals("Egyptian Mau", top1(SAMPLES.resolve("chelsea.png")));
        assertEquals(1000, classifier.labelCount());
    }

    @Test
    void top5IsSortedAndProbabilitiesSumToAtMostOne() throws IOException {
        List<Prediction> top = classifier.classify(Files.readAllBytes(SAMPLES.resolve("coffee.png")), 5).top();
        assertEquals(5, top.size());
        double sum = 0;
        for (int i = 0; i < top.size(); i++) {
            sum += top.get(i).probability();
            if (i > 0) {
                assertTrue(top.get(i - 1).probability() >= top.get(i).probability(), top.toString());
            }
        }
        assertTrue(sum <= 1.0001 && top.get(0).probability() > 0.9, top.toString());
    }

    @Test
    void fixturePhotosAboveTheAccuracyFloor() throws IOException {
        List<String> lines = Files.readAllLines(FIXTURES.resolve("imagenet-sample-labels.csv"), StandardCharsets.UTF_8);
        int correct = 0;
        int total = 0;
        List<String> wrong = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] parts = line.split(",", 3);
            String file = parts[0].replace("\"", "");
            String truth = parts[2].replace("\"", "");
            String label = top1(FIXTURES.resolve("imagenet-sample").resolve(file));
            total++;
            if (label.equals(truth)) {
                correct++;
            } else {
                wrong.add(file + " -> " + label);
            }
        }
        System.out.printf("accuracy: %d/%d top-1 on ../shared/fixtures; wrong: %s%n", correct, total, wrong);
        assertEquals(40, total);
        assertTrue(correct >= 32, "top-1 " + correct + "/40 is below the floor of 32");
    }

    @Test
    void everyFixtureDecodesWithoutError() throws IOException {
        try (Stream<Path> files = Files.list(FIXTURES.resolve("imagenet-sample"))) {
            for (Path file : files.toList()) {
                assertEquals(5, classifier.classify(Files.readAllBytes(file), 5).top().size(), file.toString());
            }
        }
    }
}
