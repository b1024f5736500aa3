package io.github.elasticimage.image;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * The check both tiers make before decoding a pixel: find an ImageIO reader for the bytes, read the dimensions from the
 * header only, and refuse an image without pixels or with more than {@code MAX_IMAGE_PIXELS} (a decompression bomb).
 * Each tier words the refusal itself (the web tier as an HTTP status, the worker as an answer's error code).
 */
public final class ImageHeader {

    static {
        // Read from memory: ImageIO would otherwise copy each stream into a temporary file first.
        ImageIO.setUseCache(false);
    }

    /** What the header check refuses. */
    public enum Problem {
        /** No installed ImageIO reader recognises the bytes. */
        NO_READER,
        /** The header announces a zero or negative width or height. */
        NO_PIXELS,
        /** The header announces more pixels than the limit. */
        TOO_MANY_PIXELS
    }

    /** The header check refused the image; {@link #width()} and {@link #height()} are 0 unless the header was read. */
    public static final class Refused extends RuntimeException {

        private final Problem problem;
        private final int width;
        private final int height;
        private final long maxPixels;

        Refused(Problem problem, int width, int height, long maxPixels) {
            super(problem == Problem.TOO_MANY_PIXELS ? width + "x" + height + " pixels; at most " + maxPixels
                    + " pixels are accepted" : problem.name());
            this.problem = problem;
            this.width = width;
            this.height = height;
            this.maxPixels = maxPixels;
        }

        public Problem problem() {
            return problem;
        }

        public int width() {
            return width;
        }

        public int height() {
            return height;
        }

        public long maxPixels() {
            return maxPixels;
        }
    }

    /** What to do with an image whose header passed: decode it, or only note its dimensions. */
    @FunctionalInterface
    public interface Accepted<T> {
        T read(ImageReader reader, int width, int height) throws IOException;
    }

    private ImageHeader() {
    }

    /**
     * Checks the header of {@code bytes} and, when it passes, hands the positioned reader to {@code then}.
     *
     * @throws Refused     no reader, no pixels, or too many pixels
     * @throws IOException the header (or what {@code then} reads) is damaged; ImageIO may also throw runtime exceptions
     */
    public static <T> T check(byte[] bytes, long maxPixels, Accepted<T> then) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new Refused(Problem.NO_READER, 0, 0, maxPixels);
            }
            ImageReader reader = readers.next();
            try {
                return check(reader, in, maxPixels, then);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * The same check with a reader and a stream the caller chose and keeps (neither is closed or disposed here), e.g.
     * one reader reused for many images: sets the reader's input to {@code in}, checks its header and, when it passes,
     * hands the reader to {@code then}.
     *
     * @throws Refused     no pixels, or too many pixels
     * @throws IOException the header (or what {@code then} reads) is damaged; ImageIO may also throw runtime exceptions
     */
    public static <T> T check(ImageReader reader, ImageInputStream in, long maxPixels, Accepted<T> then)
            throws IOException {
        reader.setInput(in, true, true);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width <= 0 || height <= 0) {
            throw new Refused(Problem.NO_PIXELS, width, height, maxPixels);
        }
        if ((long) width * height > maxPixels) {
            throw new Refused(Problem.TOO_MANY_PIXELS, width, height, maxPixels);
        }
        return then.read(reader, width, height);
    }
}
