package io.github.elasticimage.classifier.model;

import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import io.github.elasticimage.image.ImageHeader;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;

import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.Iterator;

/**
 * Decodes encoded images with ImageIO, cheaply and within bounds whatever the aspect ratio: the header is read first
 * (pixel-count guard against decompression bombs, {@link ImageHeader}); large images are decoded with source
 * subsampling so that no more pixels are decoded than the model's resize step keeps; and of a long image only the
 * centred band the centre crop can use is decoded (at most {@value #MAX_DECODED_ASPECT} times the shorter side), so the
 * decoded raster stays below about {@code (2 x resize)} by {@code (8 x resize)} pixels. An image more than
 * {@value #MAX_ASPECT}:1 is refused (its rows alone would take the reader's memory). docs/reliability.md.
 *
 * <p>A JPEG is read first by the JDK's own JPEG reader, one per calling thread and reused, straight from the byte
 * array: it converts YCbCr to RGB in libjpeg, into the image it returns. The reader ImageIO would pick, TwelveMonkeys'
 * (installed for CMYK/YCCK and damaged JPEGs), parses every header into large lookup tables and converts colours in
 * Java through an extra raster copy: about twice the CPU and three times the allocation per photo
 * (docs/decisions/0015-jdk-jpeg-reader-first.md). Whatever the JDK reader cannot read (CMYK, YCCK, lossless, a
 * profile it rejects, damage) is read again the general way, with the reader ImageIO picks.
 */
public final class ImageDecoder {

    /** Longest side over shorter side, at most: beyond it the image is refused as undecodable (422). */
    public static final int MAX_ASPECT = 1000;
    /** Longest side over shorter side of the decoded raster: a longer image is decoded as its centred band. */
    static final int MAX_DECODED_ASPECT = 4;

    /** The JDK's JPEG reader's provider (java.desktop), or null where that JDK has none. */
    private static final ImageReaderSpi JDK_JPEG = jdkJpegReaderSpi();

    private final long maxPixels;
    private final int targetShortSide;
    private final ThreadLocal<ImageReader> jpegReader = ThreadLocal.withInitial(ImageDecoder::newJdkJpegReader);

    /**
     * @param maxPixels        largest width x height accepted, checked from the header before decoding
     * @param targetShortSide  the shorter side is only decoded down to at least this many pixels
     */
    public ImageDecoder(long maxPixels, int targetShortSide) {
        this.maxPixels = maxPixels;
        this.targetShortSide = targetShortSide;
    }

    public BufferedImage decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "empty image", null);
        }
        try {
            if (isJpeg(bytes)) {
                BufferedImage image = decodeJpeg(bytes);
                if (image != null) {
                    return image;
                }
            }
            return ImageHeader.check(bytes, maxPixels, this::decode);
        } catch (ImageHeader.Refused e) {
            throw switch (e.problem()) {
                case NO_READER -> new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE,
                        "not an image format this worker can read", null);
                case NO_PIXELS -> new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "image has no pixels", null);
                case TOO_MANY_PIXELS -> new ImageDecodeException(ErrorCode.IMAGE_TOO_LARGE, "image is " + e.width()
                        + "x" + e.height() + " pixels; at most " + maxPixels + " pixels are accepted", null);
            };
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "image could not be decoded: "
                    + e.getMessage(), e);
        }
    }

    /**
     * A JPEG read by this thread's JDK reader, or null if that reader cannot read it (the caller then reads it the
     * general way). A refusal (pixel count, aspect ratio) is final: the header says the same to every reader.
     */
    private BufferedImage decodeJpeg(byte[] bytes) {
        ImageReader reader = jpegReader.get();
        if (reader == null) {
            return null;
        }
        try (ByteArrayImageInputStream in = new ByteArrayImageInputStream(withoutIccProfile(bytes))) {
            return ImageHeader.check(reader, in, maxPixels, this::decode);
        } catch (ImageHeader.Refused | ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            return null;
        } finally {
            reader.reset(); // drops the input (and the caller's bytes); the reader stays usable
        }
    }

    /**
     * The JPEG without its embedded ICC profile (APP2 {@code ICC_PROFILE} segments), or {@code jpeg} itself if it has
     * none: the pixels are then read as plain sRGB, as PIL and so torchvision read them when the model was trained
     * (neither applies embedded profiles). Most such profiles are sRGB's own, where a colour conversion (LittleCMS,
     * three to four times the decode's CPU) changes nothing. Only the segments before the first scan are looked at.
     */
    static byte[] withoutIccProfile(byte[] jpeg) {
        int removeFrom = -1;
        int removed = 0;
        java.io.ByteArrayOutputStream kept = null;
        int copiedUpTo = 0;
        int i = 2;
        while (i + 4 <= jpeg.length && (jpeg[i] & 0xff) == 0xff) {
            int marker = jpeg[i + 1] & 0xff;
            if (marker == 0xff) { // fill byte
                i++;
                continue;
            }
            if (marker == 0xda || marker == 0xd9) { // start of scan, end of image
                break;
            }
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { // no length
                i += 2;
                continue;
            }
            int end = i + 2 + (((jpeg[i + 2] & 0xff) << 8) | (jpeg[i + 3] & 0xff));
            if (end > jpeg.length) {
                break;
            }
            if (marker == 0xe2 && startsWith(jpeg, i + 4, ICC_PROFILE)) {
                if (kept == null) {
                    kept = new java.io.ByteArrayOutputStream(jpeg.length);
                }
                kept.write(jpeg, copiedUpTo, i - copiedUpTo);
                copiedUpTo = end;
            }
            i = end;
        }
        if (kept == null) {
            return jpeg;
        }
        kept.write(jpeg, copiedUpTo, jpeg.length - copiedUpTo);
        return kept.toByteArray();
    }

    private static final byte[] ICC_PROFILE = "ICC_PROFILE\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
        if (offset + prefix.length > bytes.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (bytes[offset + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isJpeg(byte[] bytes) {
        return bytes.length > 3 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xd8 && (bytes[2] & 0xff) == 0xff;
    }

    private static ImageReaderSpi jdkJpegReaderSpi() {
        Iterator<ImageReaderSpi> providers = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class,
                spi -> spi.getClass().getName().equals("com.sun.imageio.plugins.jpeg.JPEGImageReaderSpi"), false);
        return providers.hasNext() ? providers.next() : null;
    }

    private static ImageReader newJdkJpegReader() {
        try {
            return JDK_JPEG == null ? null : JDK_JPEG.createReaderInstance();
        } catch (IOException e) {
            return null;
        }
    }

    /** Decodes an image whose header passed: subsampled, and of a long image only its centred band. */
    private BufferedImage decode(ImageReader reader, int width, int height) throws IOException {
        if (Math.max(width, height) > (long) MAX_ASPECT * Math.min(width, height)) {
            throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "image is " + width + "x" + height
                    + " pixels; aspect ratios beyond " + MAX_ASPECT + ":1 are not accepted", null);
        }
        ImageReadParam param = reader.getDefaultReadParam();
        int step = Math.max(1, Math.min(width, height) / targetShortSide);
        if (step > 1) {
            param.setSourceSubsampling(step, step, 0, 0);
        }
        Rectangle band = centredBand(width, height, step);
        if (band != null) {
            param.setSourceRegion(band);
        }
        BufferedImage image = reader.read(0, param);
        if (image == null) {
            throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "image could not be decoded", null);
        }
        return image;
    }

    /**
     * The part of a long image to decode, or null for the whole image: along the long side, the centred band of about
     * {@value #MAX_DECODED_ASPECT} times the short side (after subsampling by {@code step}). The band starts on the
     * subsampling grid and drops as many decoded pixels on each side, so the centre crop of the band is the centre
     * crop of the whole image (to within one level in 255 where Java2D's bilinear rounds differently).
     */
    static Rectangle centredBand(int width, int height, int step) {
        int decodedWidth = (width + step - 1) / step;
        int decodedHeight = (height + step - 1) / step;
        if (decodedWidth >= decodedHeight) {
            int drop = (decodedWidth - MAX_DECODED_ASPECT * decodedHeight) / 2; // decoded pixels dropped on each side
            return drop < 1 ? null : new Rectangle(drop * step, 0, (decodedWidth - 2 * drop) * step, height);
        }
        int drop = (decodedHeight - MAX_DECODED_ASPECT * decodedWidth) / 2;
        return drop < 1 ? null : new Rectangle(0, drop * step, width, (decodedHeight - 2 * drop) * step);
    }
}
