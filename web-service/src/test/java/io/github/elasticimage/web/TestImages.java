package io.github.elasticimage.web;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Small valid images whose bytes differ by a seed, so the fake worker's label identifies each caller's image. */
final class TestImages {

    private TestImages() {
    }

    static byte[] png(int seed) {
        BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, seed & 0xffffff);
        image.setRGB(3, 3, (seed >>> 8) ^ 0x5a5a5a);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] png(String seed) {
        return png(seed.hashCode());
    }
}
