package io.github.elasticimage.classifier.model;

import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

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
