package io.github.elasticimage.classifier.model;

import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import io.github.elasticimage.image.ImageHeader;

import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;

/**
 * Decodes encoded images with ImageIO, cheaply and within bounds whatever the aspect ratio: the header is read first
 * (pixel-count guard against decompression bombs, {@link ImageHeader}); large images are decoded with source
 * subsampling so that no more pixels are decoded than the model's resize step keeps; and of a long image only the
 * centred band the centre crop can use is decoded (at most {@value #MAX_DECODED_ASPECT} times the shorter side), so the
 * decoded raster stays below about {@code (2 x resize)} by {@code (8 x resize)} pixels. An image more than
 * {@value #MAX_ASPECT}:1 is refused (its rows alone would take the reader's memory). docs/reliability.md.
 */
public final class ImageDecoder {

    /** Longest side over shorter side, at most: beyond it the image is refused as undecodable (422). */
    public static final int MAX_ASPECT = 1000;
    /** Longest side over shorter side of the decoded raster: a longer image is decoded as its centred band. */
    static final int MAX_DECODED_ASPECT = 4;

    private final long maxPixels;
    private final int targetShortSide;

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
