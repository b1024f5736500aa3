package io.github.elasticimage.classifier.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

import java.nio.ByteBuffer;

/**
 * Feeds a preprocessed {@code 3 x size x size} float input to the model as a {@code 1x3xHxW} tensor and returns the
 * class probabilities (softmax of the scores unless the model already returns probabilities). The input is a direct
 * buffer of native-order floats, which PyTorch reads in place (no copy; the tensor is closed when the prediction ends,
 * so the caller may reuse the buffer for its next image).
 */
final class TensorTranslator implements NoBatchifyTranslator<ByteBuffer, float[]> {

    private final Shape shape;
    private final boolean applySoftmax;

    TensorTranslator(int size, boolean applySoftmax) {
        this.shape = new Shape(1, 3, size, size);
        this.applySoftmax = applySoftmax;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, ByteBuffer input) {
        return new NDList(ctx.getNDManager().create(input, shape, DataType.FLOAT32));
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
