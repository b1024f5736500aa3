package io.github.elasticimage.classifier.model;

import io.github.elasticimage.classifier.config.ModelProperties;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.List;

/**
 * torchvision's {@code Resize(resize)} + {@code CenterCrop(size)} + {@code ToTensor} + {@code Normalize(mean, std)}, in
 * one pass: the centre crop of the aspect-preserving resize is drawn directly (bilinear) into a {@code size x size}
 * RGB image, then written as a normalised CHW float array. Transparent pixels are composed onto white.
 */
public final class Preprocessor {

    private final int resize;
    private final int size;
    private final float[] mean;
    private final float[] std;

    public Preprocessor(int resize, int size, float[] mean, float[] std) {
        if (size > resize) {
            throw new IllegalArgumentException("crop size " + size + " is larger than resize " + resize);
        }
        this.resize = resize;
        this.size = size;
        this.mean = mean.clone();
        this.std = std.clone();
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
        BufferedImage crop = centreCrop(image);
        int[] pixels = ((DataBufferInt) crop.getRaster().getDataBuffer()).getData();
        int plane = size * size;
        float[] out = new float[3 * plane];
        float r0 = 1f / (255f * std[0]);
        float g0 = 1f / (255f * std[1]);
        float b0 = 1f / (255f * std[2]);
        float rm = mean[0] / std[0];
        float gm = mean[1] / std[1];
        float bm = mean[2] / std[2];
        for (int i = 0; i < plane; i++) {
            int p = pixels[i];
            out[i] = ((p >> 16) & 0xff) * r0 - rm;
            out[plane + i] = ((p >> 8) & 0xff) * g0 - gm;
            out[2 * plane + i] = (p & 0xff) * b0 - bm;
        }
        return out;
    }

    /** The {@code size x size} centre crop of the image scaled so that its shorter side is {@code resize}. */
    BufferedImage centreCrop(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        double scale = resize / (double) Math.min(w, h);
        double x0 = (w * scale - size) / 2.0;
        double y0 = (h * scale - size) / 2.0;
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
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
        return out;
    }
}
