package io.github.elasticimage.web.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * Settings of the dead-letter watcher ({@code app.dead-letter.*}; docs/reliability.md, decision 0011).
 *
 * @param watch    whether this web instance watches the dead-letter queue ({@code DEAD_LETTER_WATCH}); every instance
 *                 may, reports are idempotent
 * @param hold     how long a reported message stays hidden in the dead-letter queue before a watcher sees it again
 *                 ({@code DEAD_LETTER_HOLD}, at most 12 h, SQS's longest visibility timeout); while hidden a redrive
 *                 does not move it
 * @param pollWait long-poll wait on the dead-letter queue (1-20 s)
 */
@ConfigurationProperties("app.dead-letter")
public record DeadLetterProperties(boolean watch, @NotNull Duration hold, @NotNull Duration pollWait) {

    /** SQS's longest visibility timeout. */
    public static final Duration MAX_HOLD = Duration.ofHours(12);

    public DeadLetterProperties {
        if (hold != null && (hold.compareTo(Duration.ofSeconds(1)) < 0 || hold.compareTo(MAX_HOLD) > 0)) {
            throw new IllegalArgumentException("DEAD_LETTER_HOLD must be between 1s and 12h, not " + hold);
        }
    }
}
