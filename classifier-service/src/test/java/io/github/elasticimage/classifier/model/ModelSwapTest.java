package io.github.elasticimage.classifier.model;

import io.github.elasticimage.classifier.config.ModelProperties;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Another classifier is configuration, not code: the fp32 MobileNetV2 from ../shared/models, loaded from a file path
 * (as MODEL_PATH / MODEL_LABELS would set it), gives the same answers as the bundled int8 model.
 */
class ModelSwapTest {

    private static final Path FP32 = Path.of(System.getProperty("shared.dir"), "models", "mobilenet_v2_fp32");

    @Test
    void anotherTorchScriptModelFromAFilePath() throws IOException {
        ModelProperties fp32 = new ModelProperties(FP32.resolve("mobilenet_v2_fp32.pt").toString(),
                FP32.resolve("synset.txt").toString(), 256, 224, List.of(0.485f, 0.456f, 0.406f),
                List.of(0.229f, 0.224f, 0.225f), true, 1);
        try (DjlImageClassifier classifier = new DjlImageClassifier(fp32, DjlImageClassifierTest.worker(),
                DjlImageClassifierTest.limits())) {
            byte[] coffee = Files.readAllBytes(DjlImageClassifierTest.SAMPLES.resolve("coffee.png"));
            var top = classifier.classify(coffee, 5).top();
            assertEquals("espresso", top.get(0).label());
            assertTrue(top.get(0).probability() > 0.9, top.toString());
        }
    }

    @Test
    void aLabelsFileThatDoesNotMatchTheModelIsRefusedAtStart() throws IOException {
        Path labels = Files.createTempFile("ten-labels", ".txt");
        Files.write(labels, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        ModelProperties mismatched = new ModelProperties(FP32.resolve("mobilenet_v2_fp32.pt").toString(),
                labels.toString(), 256, 224, List.of(0.485f, 0.456f, 0.406f), List.of(0.229f, 0.224f, 0.225f),
                true, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DjlImageClassifier(mismatched, DjlImageClassifierTest.worker(),
                        DjlImageClassifierTest.limits()));
        assertTrue(e.getMessage().contains("1000 scores") && e.getMessage().contains("10 labels"), e.getMessage());
    }

    @Test
    void aMissingModelFileIsAClearError() {
        ModelProperties missing = new ModelProperties("/nonexistent/model.pt", "classpath:model/synset.txt", 256, 224,
                List.of(0.485f, 0.456f, 0.406f), List.of(0.229f, 0.224f, 0.225f), true, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DjlImageClassifier(missing, DjlImageClassifierTest.worker(),
                        DjlImageClassifierTest.limits()));
        assertTrue(e.getMessage().contains("/nonexistent/model.pt"), e.getMessage());
    }
}
