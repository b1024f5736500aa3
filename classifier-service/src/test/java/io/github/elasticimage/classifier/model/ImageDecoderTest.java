package io.github.elasticimage.classifier.model;

import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(50_000_000L, 256);

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), "no writer for " + format);
        return out.toByteArray();
    }

    @Test
    void truncatedJpegIsUndecodable() throws IOException {
        byte[] bytes = Files.readAllBytes(Path.of(System.getProperty("samples.dir"), "truncated.jpg"));
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(bytes));
        assertEquals(ErrorCode.UNDECODABLE_IMAGE, e.code());
    }

    @Test
    void textIsUndecodable() {
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> decoder.decode("hello, not an image".getBytes(StandardCharsets.UTF_8)));
        assertEquals(ErrorCode.UNDECODABLE_IMAGE, e.code());
    }

    @Test
    void emptyIsUndecodable() {
        assertEquals(ErrorCode.UNDECODABLE_IMAGE,
                assertThrows(ImageDecodeException.class, () -> decoder.decode(new byte[0])).code());
    }

    @Test
    void decompressionBombIsRefusedFromTheHeader() {
        // A PNG that announces 100000 x 100000 pixels in 57 bytes: refused before any pixel is decoded.
        byte[] bomb = pngHeaderOnly(100_000, 100_000);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(bomb));
        assertEquals(ErrorCode.IMAGE_TOO_LARGE, e.code());
        assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
    }

    @Test
    void largeImagesAreDecodedSubsampledButNotBelowTheResizeSide() throws IOException {
        byte[] jpeg = encode(new BufferedImage(2000, 1200, BufferedImage.TYPE_3BYTE_BGR), "jpg");
        BufferedImage decoded = decoder.decode(jpeg);
        int shorter = Math.min(decoded.getWidth(), decoded.getHeight());
        assertTrue(shorter >= 256 && shorter < 512, "decoded " + decoded.getWidth() + "x" + decoded.getHeight());
    }

    @Test
    void smallImagesAreDecodedWhole() throws IOException {
        BufferedImage decoded = decoder.decode(encode(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png"));
        assertEquals(1, decoded.getWidth());
    }

    @Test
    void aLongImageIsDecodedAsItsCentredBandWithinBoundedMemory() throws IOException {
        // 100000 x 500: under the pixel limit, but a whole decode is a 150 MB raster. 150 KB on disk (solid colour).
        byte[] png = solidPng(100_000, 500, 0x3366cc);
        assertTrue(png.length < 1_000_000, png.length + " bytes");
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        BufferedImage decoded = decoder.decode(png);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(500, decoded.getHeight());
        assertTrue(decoded.getWidth() <= ImageDecoder.MAX_DECODED_ASPECT * 500 + 1, "decoded " + decoded.getWidth());
        assertTrue(allocated < 32L << 20, "decoding allocated " + (allocated >> 20) + " MB");
        assertEquals(0x3366cc, decoded.getRGB(decoded.getWidth() / 2, 250) & 0xffffff);

        BufferedImage tall = decoder.decode(solidPng(300, 60_000, 0x000000));
        assertEquals(300, tall.getWidth());
        assertTrue(tall.getHeight() <= ImageDecoder.MAX_DECODED_ASPECT * 300 + 1, "decoded " + tall.getHeight());
    }

    @Test
    void theBandHasTheSameCentreCropAsTheWholeImage() throws IOException {
        // Noise, so that any shift of the band against the whole image would show in the tensor.
        java.util.Random random = new java.util.Random(14);
        for (int[] size : new int[][] {{3001, 400}, {3000, 600}, {420, 5003}}) {
            BufferedImage noise = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < size[1]; y++) {
                for (int x = 0; x < size[0]; x++) {
                    noise.setRGB(x, y, random.nextInt(0x1000000));
                }
            }
            byte[] png = encode(noise, "png");
            Preprocessor preprocessor = new Preprocessor(256, 224, new float[] {0.485f, 0.456f, 0.406f},
                    new float[] {0.229f, 0.224f, 0.225f});
            BufferedImage band = decoder.decode(png);
            BufferedImage whole = decodeWhole(png, Math.max(1, Math.min(size[0], size[1]) / 256));
            int bandLong = Math.max(band.getWidth(), band.getHeight());
            int bandShort = Math.min(band.getWidth(), band.getHeight());
            assertEquals(Math.min(whole.getWidth(), whole.getHeight()), bandShort);
            assertTrue(bandLong <= ImageDecoder.MAX_DECODED_ASPECT * bandShort + 1
                    && bandLong < Math.max(whole.getWidth(), whole.getHeight()),
                    "decoded as a band: " + band.getWidth() + "x" + band.getHeight());
            float[] expected = preprocessor.toTensor(whole);
            float[] actual = preprocessor.toTensor(band);
            // The same pixels: at most one level in 255 apart (Java2D's bilinear rounds the band's own offsets), where
            // a band off by one pixel of this noise would differ by many levels.
            float oneLevel = 1f / (255f * 0.224f);
            assertArrayEquals(expected, actual, oneLevel * 1.001f, size[0] + "x" + size[1]);
        }
    }

    /** The whole image, subsampled like the decoder does, with no band. */
    private static BufferedImage decodeWhole(byte[] png, int step) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            ImageReader reader = ImageIO.getImageReaders(in).next();
            try {
                reader.setInput(in);
                ImageReadParam param = reader.getDefaultReadParam();
                param.setSourceSubsampling(step, step, 0, 0);
                return reader.read(0, param);
            } finally {
                reader.dispose();
            }
        }
    }

    @Test
    void aPhotoIsDecodedWithoutCopiesBeyondItsRaster() throws IOException {
        // A photo-sized JPEG, decoded the way a job decodes it: the JDK's reader writes its 3-byte pixels into the image
        // and copies each row once on the way (2.0 x the raster); TwelveMonkeys' reader, which ImageIO would pick,
        // allocated 2.5 x (lookup tables per header, a second raster). docs/decisions/0015-jdk-jpeg-reader-first.md.
        byte[] jpeg = encode(noise(500, 375), "jpg");
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 3; i++) {
            decoder.decode(jpeg); // the thread's reader made, classes loaded
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        BufferedImage decoded = decoder.decode(jpeg);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        long raster = 500L * 375 * 3;
        assertEquals(500, decoded.getWidth());
        assertTrue(allocated < 2.3 * raster, "decoding allocated " + allocated / 1024 + " KB for a "
                + raster / 1024 + " KB raster");
    }

    @Test
    void anEmbeddedIccProfileIsNotApplied() throws IOException {
        // PIL (and so torchvision's training) ignores embedded profiles: the pixels must be those of the same JPEG
        // without its profile, whatever the profile says (here: a linear-gamma one, which would lighten every pixel).
        byte[] plain = encode(noise(120, 80), "jpg");
        byte[] withProfile = withIccSegment(plain,
                java.awt.color.ICC_Profile.getInstance(java.awt.color.ColorSpace.CS_LINEAR_RGB).getData());
        assertTrue(withProfile.length > plain.length);
        assertArrayEquals(plain, ImageDecoder.withoutIccProfile(withProfile));
        BufferedImage expected = decoder.decode(plain);
        BufferedImage actual = decoder.decode(withProfile);
        for (int y = 0; y < 80; y += 9) {
            for (int x = 0; x < 120; x += 11) {
                assertEquals(expected.getRGB(x, y), actual.getRGB(x, y), "pixel " + x + "," + y);
            }
        }
    }

    private static BufferedImage noise(int width, int height) {
        java.util.Random random = new java.util.Random(width * 31L + height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, ((x * 255 / width) << 16) | ((y * 255 / height) << 8) | random.nextInt(64));
            }
        }
        return image;
    }

    /** The JPEG with one APP2 ICC_PROFILE segment holding {@code profile} inserted after its SOI marker. */
    private static byte[] withIccSegment(byte[] jpeg, byte[] profile) {
        byte[] id = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        int length = 2 + id.length + 2 + profile.length;
        ByteBuffer out = ByteBuffer.allocate(jpeg.length + 2 + length);
        out.put(jpeg, 0, 2).put((byte) 0xff).put((byte) 0xe2).putShort((short) length).put(id)
                .put((byte) 1).put((byte) 1).put(profile).put(jpeg, 2, jpeg.length - 2);
        return out.array();
    }

    @Test
    void anAbsurdAspectRatioIsRefused() {
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> decoder.decode(solidPng(200_000, 2, 0xffffff)));
        assertEquals(ErrorCode.UNDECODABLE_IMAGE, e.code());
        assertTrue(e.getMessage().contains("200000x2"), e.getMessage());
    }

    /** An RGB PNG of one colour, written row by row (no raster of that size in memory). */
    private static byte[] solidPng(int width, int height, int rgb) throws IOException {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] row = new byte[1 + 3 * width]; // filter byte 0, then RGB
        for (int x = 0; x < width; x++) {
            row[1 + 3 * x] = (byte) (rgb >> 16);
            row[2 + 3 * x] = (byte) (rgb >> 8);
            row[3 + 3 * x] = (byte) rgb;
        }
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(idat)) {
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(png, "IDAT", idat.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) throws IOException {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        png.write(ByteBuffer.allocate(4).putInt(data.length).array());
        png.write(typeBytes);
        png.write(data);
        png.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] pngHeaderOnly(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4 + 12);
        png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
        png.putInt(13).put(ihdr.array()).putInt((int) crc.getValue());
        png.putInt(0).put("IEND".getBytes(StandardCharsets.US_ASCII)).putInt(0xae426082);
        return png.array();
    }
}
