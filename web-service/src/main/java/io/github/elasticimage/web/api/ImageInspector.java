package io.github.elasticimage.web.api;

import io.github.elasticimage.image.ImageHeader;
import io.github.elasticimage.image.ImageLimits;
import io.micronaut.http.HttpStatus;
import jakarta.inject.Singleton;

import java.io.IOException;

/**
 * Decides from the bytes, never from the client's declared content type, whether an upload is an image the workers can
 * classify: the format from its signature (JPEG, PNG, GIF, BMP, WebP, TIFF; anything else is 415), and the dimensions
 * from its header only (a damaged header is 422; more than {@code MAX_IMAGE_PIXELS} pixels is 422, so a decompression
 * bomb is refused without decoding a pixel: {@link ImageHeader}). Refused uploads are never stored or queued.
 */
@Singleton
public class ImageInspector {

    /** Image formats the classifier tier decodes, with the MIME type stored with the upload. */
    public enum Format {
        JPEG("image/jpeg"), PNG("image/png"), GIF("image/gif"), BMP("image/bmp"), WEBP("image/webp"),
        TIFF("image/tiff");

        private final String mimeType;

        Format(String mimeType) {
            this.mimeType = mimeType;
        }

        public String mimeType() {
            return mimeType;
        }
    }

    /** What the header says. */
    public record Inspected(Format format, int width, int height) {
    }

    private final long maxPixels;

    public ImageInspector(ImageLimits limits) {
        this.maxPixels = limits.maxPixels();
    }

    public Inspected inspect(byte[] bytes) {
        Format format = sniff(bytes);
        if (format == null) {
            throw new WebException.Refused(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "not a supported image: send a JPEG, PNG, GIF, BMP, WebP or TIFF file");
        }
        try {
            return ImageHeader.check(bytes, maxPixels, (reader, width, height) -> new Inspected(format, width, height));
        } catch (ImageHeader.Refused e) {
            throw switch (e.problem()) {
                case NO_READER -> damaged(format, "no reader recognises it");
                case NO_PIXELS -> damaged(format, "it has no pixels");
                case TOO_MANY_PIXELS -> new WebException.Refused(HttpStatus.UNPROCESSABLE_ENTITY, "the image is "
                        + e.width() + "x" + e.height() + " pixels; at most " + maxPixels + " pixels are accepted");
            };
        } catch (IOException | RuntimeException e) {
            throw damaged(format, e.getMessage());
        }
    }

    private static WebException damaged(Format format, String why) {
        return new WebException.Refused(HttpStatus.UNPROCESSABLE_ENTITY, "the " + format.name()
                + " image is damaged and cannot be read" + (why == null ? "" : " (" + why + ")"));
    }

    static Format sniff(byte[] b) {
        if (startsWith(b, 0, 0xFF, 0xD8, 0xFF)) {
            return Format.JPEG;
        }
        if (startsWith(b, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Format.PNG;
        }
        if (ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a")) {
            return Format.GIF;
        }
        if (ascii(b, 0, "BM") && b.length > 26) {
            return Format.BMP;
        }
        if (ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) {
            return Format.WEBP;
        }
        if (startsWith(b, 0, 'I', 'I', 0x2A, 0x00) || startsWith(b, 0, 'M', 'M', 0x00, 0x2A)) {
            return Format.TIFF;
        }
        return null;
    }

    private static boolean startsWith(byte[] bytes, int offset, int... expected) {
        if (bytes.length < offset + expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if ((bytes[offset + i] & 0xFF) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(byte[] bytes, int offset, String text) {
        return startsWith(bytes, offset, text.chars().toArray());
    }
}
