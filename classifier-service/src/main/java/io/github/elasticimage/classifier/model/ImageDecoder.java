package io.github.elasticimage.classifier.model;

import io.github.elasticimage.contract.ClassificationResult.ErrorCode;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * Decodes encoded images with ImageIO, cheaply: the header is read first (pixel-count guard against decompression
 * bombs), and large images are decoded with source subsampling so that no more pixels are decoded than the model's
 * resize step keeps.
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
        // Decode from memory: ImageIO would otherwise copy each stream into a temporary file first.
        ImageIO.setUseCache(false);
    }

    public BufferedImage decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "empty image", null);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "not an image format this worker can read",
                        null);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "image has no pixels", null);
                }
                if ((long) width * height > maxPixels) {
                    throw new ImageDecodeException(ErrorCode.IMAGE_TOO_LARGE, "image is " + width + "x" + height
                            + " pixels; at most " + maxPixels + " pixels are accepted", null);
                }
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
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException(ErrorCode.UNDECODABLE_IMAGE, "image could not be decoded: "
                    + e.getMessage(), e);
        }
    }
}
