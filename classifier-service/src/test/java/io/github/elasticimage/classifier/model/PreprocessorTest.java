package io.github.elasticimage.classifier.model;

import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessorTest {

    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};
    private final Preprocessor preprocessor = new Preprocessor(256, 224, MEAN, STD);

    private static BufferedImage solid(int w, int h, Color color, int type) {
        BufferedImage image = new BufferedImage(w, h, type);
        Graphics2D g = image.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return image;
    }

    @Test
    void producesANormalisedChwTensorOfTheCropSize() {
        float[] tensor = preprocessor.toTensor(solid(640, 480, new Color(255, 128, 0), BufferedImage.TYPE_3BYTE_BGR));
        int plane = 224 * 224;
        assertEquals(3 * plane, tensor.length);
        for (int i : new int[] {0, plane / 2, plane - 1}) {
            assertEquals((1f - MEAN[0]) / STD[0], tensor[i], 1e-4);
            assertEquals((128 / 255f - MEAN[1]) / STD[1], tensor[plane + i], 1e-4);
            assertEquals((0f - MEAN[2]) / STD[2], tensor[2 * plane + i], 1e-4);
        }
    }

    @Test
    void keepsTheAspectRatioAndCropsTheCentre() {
        // 512x256: after resizing the shorter side to 256 it stays 512x256; the centre 224 crop is x in [144, 368).
        // Paint the outer quarters red: a stretching resize would pull red into the crop, a centre crop does not.
        BufferedImage image = solid(512, 256, Color.WHITE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(0, 0, 128, 256);
        g.fillRect(384, 0, 128, 256);
        g.dispose();
        BufferedImage crop = preprocessor.centreCrop(image);
        assertEquals(224, crop.getWidth());
        assertEquals(224, crop.getHeight());
        for (int x = 0; x < 224; x += 7) {
            assertEquals(0xffffff, crop.getRGB(x, 112) & 0xffffff, "pixel " + x + " should be white");
        }
    }

    @Test
    void greyscaleBecomesThreeEqualChannels() {
        float[] tensor = preprocessor.toTensor(solid(300, 300, new Color(100, 100, 100),
                BufferedImage.TYPE_BYTE_GRAY));
        int plane = 224 * 224;
        float grey = 100 / 255f;
        assertEquals((grey - MEAN[0]) / STD[0], tensor[10], 0.02);
        assertEquals((grey - MEAN[1]) / STD[1], tensor[plane + 10], 0.02);
        assertEquals((grey - MEAN[2]) / STD[2], tensor[2 * plane + 10], 0.02);
    }

    @Test
    void transparentPixelsAreComposedOntoWhite() {
        float[] tensor = preprocessor.toTensor(solid(64, 64, new Color(0, 0, 0, 0), BufferedImage.TYPE_INT_ARGB));
        assertEquals((1f - MEAN[0]) / STD[0], tensor[0], 1e-4);
    }

    @Test
    void tinyImagesAreScaledUp() {
        float[] tensor = preprocessor.toTensor(solid(1, 1, Color.BLUE, BufferedImage.TYPE_INT_RGB));
        assertEquals((1f - MEAN[2]) / STD[2], tensor[2 * 224 * 224 + 5000], 1e-4);
        assertTrue(tensor[0] < 0, "red channel of blue is below the mean");
    }

    @Test
    void refusesACropLargerThanTheResize() {
        assertThrows(IllegalArgumentException.class, () -> new Preprocessor(200, 224, MEAN, STD));
    }

    @Test
    void intoABufferItAllocatesNoImageOrTensorPerCall() {
        // The crop image (196 KB) is the thread's own and the tensor (588 KB) the caller's buffer: a call allocates only
        // Java2D's small per-draw objects.
        BufferedImage image = solid(500, 375, Color.ORANGE, BufferedImage.TYPE_3BYTE_BGR);
        java.nio.FloatBuffer out = java.nio.FloatBuffer.allocate(3 * 224 * 224);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 3; i++) {
            preprocessor.toTensor(image, out);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        preprocessor.toTensor(image, out);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 64 * 1024, "preprocessing allocated " + allocated / 1024 + " KB");
        assertEquals((1f - MEAN[0]) / STD[0], out.get(0), 1e-4);
        assertEquals(preprocessor.toTensor(image)[224 * 224 + 7], out.get(224 * 224 + 7), 0);
    }
}
