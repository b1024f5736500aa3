package io.github.elasticimage.web.api;

import io.micronaut.core.annotation.Nullable;

import java.util.regex.Pattern;

/**
 * The optional {@code Idempotency-Key} request header of both submit APIs (docs/api.md): a retry with the same key (and
 * the same API key) gets the same request id and result, without a second classification, on any web instance.
 */
public final class IdempotencyKey {

    /** The header's name. */
    public static final String HEADER = "Idempotency-Key";
    /** Longest accepted key. */
    public static final int MAX_LENGTH = 128;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_.:-]{1," + MAX_LENGTH + "}");

    private IdempotencyKey() {
    }

    /**
     * The key, or null when the header is absent.
     *
     * @throws WebException.BadRequest when it is empty, too long or has other characters than letters, digits and
     *                                 {@code - _ . :} (a UUID fits)
     */
    @Nullable
    public static String check(@Nullable String header) {
        if (header == null) {
            return null;
        }
        if (!VALID.matcher(header).matches()) {
            throw new WebException.BadRequest(HEADER + " must be 1 to " + MAX_LENGTH + " characters, each a letter "
                    + "A-Z or a-z, a digit or one of - _ . : (a UUID will do)");
        }
        return header;
    }
}
