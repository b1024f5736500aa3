package io.github.elasticimage.web.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.convert.format.ReadableBytes;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * Settings of the web tier ({@code app.web.*}).
 *
 * @param resultTimeout how long a caller waits for its answer before a 504 ({@code RESULT_TIMEOUT})
 * @param maxPending    most requests one instance keeps waiting at once; beyond it 503 ({@code MAX_PENDING})
 * @param maxUploadMemory most bytes of uploads one instance holds at once (being received, checked and stored; a
 *                      stored upload no longer counts); beyond it 503 ({@code MAX_UPLOAD_MEMORY})
 * @param responseQueue a fixed response queue name for this instance ({@code RESPONSE_QUEUE}); when empty the instance
 *                      creates {@code <RESPONSE_QUEUE_PREFIX>-<instance id>} at start and deletes it at shutdown
 * @param instanceId    this instance's id in its response queue name ({@code INSTANCE_ID}); random when empty
 * @param pollWait      long-poll wait of the response poller
 */
@ConfigurationProperties("app.web")
public record WebProperties(
        @NotNull Duration resultTimeout,
        @Min(1) int maxPending,
        @ReadableBytes @Min(1) long maxUploadMemory,
        @Nullable String responseQueue,
        @Nullable String instanceId,
        @NotNull Duration pollWait) {
}
