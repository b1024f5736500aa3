package io.github.elasticimage.classifier.model;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The image shapes real users send, each through decode, preprocessing and the real model. */
class InputVarietyTest {

    private static DjlImageClassifier classifier;
    private static BufferedImage coffee;

    @BeforeAll
    static void load() throws IOException {
        classifier = new DjlImageClassifier(DjlImageClassifierTest.bundledModel(), DjlImageClassifierTest.worker(),
                DjlImageClassifierTest.limits());
        coffee = ImageIO.read(DjlImageClassifierTest.SAMPLES.resolve("coffee.png").toFile());
    }

    @AfterAll
    static void close() {
        classifier.close();
    }

    private static byte[] write(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), "no " + format + " writer for this image type");
        return out.toByteArray();
    }

    private static String top1(byte[] bytes) {
        return classifier.classify(bytes, 5).top().get(0).label();
    }

    private static BufferedImage convert(BufferedImage source, int type) {
        BufferedImage out = new BufferedImage(source.getWidth(), source.getHeight(), type);
        out.createGraphics().drawImage(source, 0, 0, null);
        return out;
    }

    @Test
    void rgbPngAndJpeg() throws IOException {
        assertEquals("espresso", top1(Files.readAllBytes(DjlImageClassifierTest.SAMPLES.resolve("coffee.png"))));
        assertEquals("espresso", top1(write(convert(coffee, BufferedImage.TYPE_3BYTE_BGR), "jpg")));
    }

    @Test
    void greyscaleJpeg() throws IOException {
        byte[] grey = write(convert(coffee, BufferedImage.TYPE_BYTE_GRAY), "jpg");
        assertEquals(5, classifier.classify(grey, 5).top().size());
    }

    @Test
    void pngWithAlpha() throws IOException {
        assertEquals("espresso", top1(write(convert(coffee, BufferedImage.TYPE_INT_ARGB), "png")));
    }

    @Test
    void sixteenBitPngs() throws IOException {
        assertEquals(5, classifier.classify(write(convert(coffee, BufferedImage.TYPE_USHORT_GRAY), "png"), 5)
                .top().size());
        ComponentColorModel rgb48 = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = rgb48.createCompatibleWritableRaster(coffee.getWidth(), coffee.getHeight());
        BufferedImage deep = new BufferedImage(rgb48, raster, false, null);
        deep.createGraphics().drawImage(coffee, 0, 0, null);
        assertEquals("espresso", top1(write(deep, "png")));
    }

    @Test
    void cmykJpeg() throws IOException {
        // Four-channel (CMYK) JPEGs are refused by the JDK's reader; the TwelveMonkeys plugin reads them.
        int w = coffee.getWidth();
        int h = coffee.getHeight();
        WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        int[] px = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = coffee.getRGB(x, y);
                px[0] = 255 - ((rgb >> 16) & 0xff);
                px[1] = 255 - ((rgb >> 8) & 0xff);
                px[2] = 255 - (rgb & 0xff);
                px[3] = 0;
                cmyk.setPixel(x, y, px);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(cmyk, null, null), null);
        } finally {
            writer.dispose();
        }
        byte[] jpeg = out.toByteArray();
        assertEquals(5, classifier.classify(jpeg, 5).top().size());
    }

    @Test
    void tinyAndLargeImages() throws IOException {
        assertEquals(5, classifier.classify(write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png"), 5)
                .top().size());
        BufferedImage large = new BufferedImage(4000, 3000, BufferedImage.TYPE_3BYTE_BGR);
        large.createGraphics().drawImage(coffee, 0, 0, 4000, 3000, null);
        assertEquals("espresso", top1(write(large, "jpg")));
    }

    @Test
    void gifBmpAndTiff() throws IOException {
        for (String format : new String[] {"gif", "bmp", "tiff"}) {
            BufferedImage image = format.equals("gif") ? coffee : convert(coffee, BufferedImage.TYPE_3BYTE_BGR);
            assertEquals(5, classifier.classify(write(image, format), 5).top().size(), format);
        }
    }
}
