package io.github.elasticimage.classifier.model;

import io.github.elasticimage.contract.ClassificationResult.Prediction;

import java.util.List;

/** Turns image bytes into the most probable labels. Implementations are thread-safe. */
public interface ImageClassifier {

    /**
     * Classifies one encoded image (JPEG, PNG, ...).
     *
     * @return the {@code k} most probable labels, best first, and where the time went
     * @throws ImageDecodeException when the bytes are not an image this classifier accepts
     */
    Classification classify(byte[] image, int k);

    /**
     * @param top            most probable labels, best first
     * @param preprocessNanos decoding, resizing and normalising
     * @param inferenceNanos  the model itself
     */
    record Classification(List<Prediction> top, long preprocessNanos, long inferenceNanos) {
    }
}
