package io.github.elasticimage.image;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Min;

/**
 * What both tiers accept as an image ({@code app.image.*}): the web tier refuses a larger upload, the worker refuses to
 * decode one (a request queued before the limit changed). One setting, read by both.
 *
 * @param maxPixels largest width x height the header may announce ({@code MAX_IMAGE_PIXELS}); checked by
 *                  {@link ImageHeader} before a pixel is decoded, against decompression bombs
 */
@ConfigurationProperties("app.image")
public record ImageLimits(@Min(1) long maxPixels) {
}
