package io.github.elasticimage.classifier.model;

import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import io.github.elasticimage.image.ImageHeader;

import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import java.awt.image.BufferedImage;
import java.io.IOException;

/**
 * Decodes encoded images with ImageIO, cheaply: the header is read first (pixel-count guard against decompression
 * bombs, {@link ImageHeader}), and large images are decoded with source subsampling so that no more pixels are decoded
 * than the model's resize step keeps.
 */
public final class ImageDecoder {

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

    /** Decodes an image whose header passed, subsampled so the shorter side stays at least the resize side. */
    private BufferedImage decode(ImageReader reader, int width, int height) throws IOException {
        ImageReadParam param = reader.getDefaultReadParam();
        int step = Math.max(1, Math.min(width, height) / targetShortSide);
        if (step > 1) {
            param.setSourceSubsampling(step, step, 0, 0);
        }
        BufferedImage image = reader.read(0, param);
        if (image == null) {
            throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "image could not be decoded", null);
        }
        return image;
    }
}
