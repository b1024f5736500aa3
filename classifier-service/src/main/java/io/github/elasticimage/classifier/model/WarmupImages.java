package io.github.elasticimage.classifier.model;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Random;

/**
 * Synthetic images for the warm-up: a JPEG and a PNG of photo-like sizes with noisy content, so the warm-up runs the
 * decoders, the preprocessing and the model the way real jobs do (what they show does not matter).
 */
final class WarmupImages {

    private WarmupImages() {
    }

    /** Encoded images, JPEG and PNG alternating; made once per call (a few milliseconds). */
    static List<byte[]> create() {
        return List.of(encode(noise(640, 480, 1), "jpg"), encode(noise(500, 375, 2), "png"));
    }

    private static BufferedImage noise(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                // Smooth gradients with some noise: compresses like a photo, not like a flat colour.
                int r = (x * 255 / width + random.nextInt(32)) & 0xff;
                int g = (y * 255 / height + random.nextInt(32)) & 0xff;
                int b = ((x + y) * 255 / (width + height) + random.nextInt(32)) & 0xff;
                image.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return image;
    }

    private static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
