package io.github.elasticimage.web.auth;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;

import java.nio.file.Path;
import java.util.List;

/**
 * Who may call the API ({@code app.auth.*}). Keys may come from both places; together they are the accepted set. With
 * no key from either, the API is open (the local default). See docs/security.md.
 *
 * @param apiKeys     accepted keys, comma-separated ({@code API_KEYS})
 * @param apiKeysFile a file of accepted keys, one per line or comma-separated; blank lines and lines starting with
 *                    {@code #} are skipped ({@code API_KEYS_FILE}; on AWS the web host writes it from an SSM
 *                    SecureString parameter, see docs/security.md)
 */
@ConfigurationProperties("app.auth")
public record ApiKeyProperties(@Nullable List<String> apiKeys, @Nullable Path apiKeysFile) {
}
