package io.github.elasticimage.aws;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotBlank;

/**
 * Names of the queues and buckets the two tiers share ({@code app.resources.*}; env vars {@code REQUEST_QUEUE},
 * {@code DEAD_LETTER_QUEUE}, {@code INPUT_BUCKET}, {@code OUTPUT_BUCKET}, {@code RESPONSE_QUEUE_PREFIX}).
 *
 * @param requestQueue        queue the web tier sends requests to and workers long-poll
 * @param deadLetterQueue     where requests go after too many failed receives
 * @param inputBucket         bucket for uploaded images
 * @param outputBucket        bucket for result JSON documents
 * @param responseQueuePrefix prefix of the per-web-instance response queues
 */
@ConfigurationProperties("app.resources")
public record ResourceNames(
        @NotBlank String requestQueue,
        @NotBlank String deadLetterQueue,
        @NotBlank String inputBucket,
        @NotBlank String outputBucket,
        @NotBlank String responseQueuePrefix) {
}
