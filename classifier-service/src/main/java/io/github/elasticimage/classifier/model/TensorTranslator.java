package io.github.elasticimage.classifier.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Feeds a preprocessed {@code 3 x size x size} float array to the model as a {@code 1x3xHxW} tensor and returns the
 * class probabilities (softmax of the scores unless the model already returns probabilities).
 */
final class TensorTranslator implements NoBatchifyTranslator<float[], float[]> {

    private final Shape shape;
    private final boolean applySoftmax;

    TensorTranslator(int size, boolean applySoftmax) {
        this.shape = new Shape(1, 3, size, size);
        this.applySoftmax = applySoftmax;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, float[] input) {
        return new NDList(ctx.getNDManager().create(input, shape));
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        NDArray scores = list.singletonOrThrow();
        if (applySoftmax) {
            scores = scores.softmax(-1);
        }
        return scores.toFloatArray();
    }
}
