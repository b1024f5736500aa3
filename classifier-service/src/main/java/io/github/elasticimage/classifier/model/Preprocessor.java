package io.github.elasticimage.classifier.model;

import io.github.elasticimage.classifier.config.ModelProperties;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * torchvision's {@code Resize(resize)} + {@code CenterCrop(size)} + {@code ToTensor} + {@code Normalize(mean, std)}, in
 * one pass: the centre crop of the aspect-preserving resize is drawn directly (bilinear) into a {@code size x size}
 * RGB image, then written as a normalised CHW float array. Transparent pixels are composed onto white. Each calling
 * thread reuses its own crop image, and {@link #toTensor(BufferedImage, FloatBuffer)} writes into the caller's buffer,
 * so preprocessing allocates nothing per image (docs/decisions/0015-jdk-jpeg-reader-first.md).
 */
public final class Preprocessor {

    private final int resize;
    private final int size;
    private final float[] mean;
    private final float[] std;
    private final ThreadLocal<BufferedImage> crops;

    public Preprocessor(int resize, int size, float[] mean, float[] std) {
        if (size > resize) {
            throw new IllegalArgumentException("crop size " + size + " is larger than resize " + resize);
        }
        this.resize = resize;
        this.size = size;
        this.mean = mean.clone();
        this.std = std.clone();
        this.crops = ThreadLocal.withInitial(() -> new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB));
    }

    /** The preprocessing a model's settings ask for ({@code MODEL_RESIZE}, {@code MODEL_INPUT_SIZE}, mean, std). */
    public static Preprocessor of(ModelProperties model) {
        return new Preprocessor(model.resize(), model.inputSize(), toArray(model.mean()), toArray(model.std()));
    }

    private static float[] toArray(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    public int size() {
        return size;
    }

    /** The model input for {@code image}: {@code 3 x size x size} floats, channel-major (RGB). */
    public float[] toTensor(BufferedImage image) {
        float[] out = new float[3 * size * size];
        toTensor(image, FloatBuffer.wrap(out));
        return out;
    }

    /**
     * Writes the model input for {@code image} into {@code out} at indices {@code 0 .. 3 x size x size - 1} (absolute
     * puts: its position does not move), channel-major (RGB).
     */
    public void toTensor(BufferedImage image, FloatBuffer out) {
        BufferedImage crop = crops.get();
        centreCrop(image, crop);
        int[] pixels = ((DataBufferInt) crop.getRaster().getDataBuffer()).getData();
        int plane = size * size;
        if (out.capacity() < 3 * plane) {
            throw new IllegalArgumentException("buffer of " + out.capacity() + " floats; " + 3 * plane + " needed");
        }
        float r0 = 1f / (255f * std[0]);
        float g0 = 1f / (255f * std[1]);
        float b0 = 1f / (255f * std[2]);
        float rm = mean[0] / std[0];
        float gm = mean[1] / std[1];
        float bm = mean[2] / std[2];
        for (int i = 0; i < plane; i++) {
            int p = pixels[i];
            out.put(i, ((p >> 16) & 0xff) * r0 - rm);
            out.put(plane + i, ((p >> 8) & 0xff) * g0 - gm);
            out.put(2 * plane + i, (p & 0xff) * b0 - bm);
        }
    }

    /** The {@code size x size} centre crop of the image scaled so that its shorter side is {@code resize}. */
    BufferedImage centreCrop(BufferedImage image) {
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        centreCrop(image, out);
        return out;
    }

    /** Draws the centre crop into {@code out}, a {@code size x size} RGB image, over all of it. */
    private void centreCrop(BufferedImage image, BufferedImage out) {
        int w = image.getWidth();
        int h = image.getHeight();
        double scale = resize / (double) Math.min(w, h);
        double x0 = (w * scale - size) / 2.0;
        double y0 = (h * scale - size) / 2.0;
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, size, size);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_SPEED);
            AffineTransform transform = new AffineTransform();
            transform.translate(-x0, -y0);
            transform.scale(scale, scale);
            g.drawImage(image, transform, null);
        } finally {
            g.dispose();
        }
    }
}
