package io.github.elasticimage.web.storage;

import io.micronaut.core.annotation.Nullable;

/**
 * Shared memory of {@code Idempotency-Key}s, visible to every web instance: which request id a key was first used for.
 * A key is scoped to the caller's API key (its owner tag), so two callers never share a key's request.
 */
public interface IdempotencyStore {

    /**
     * Records {@code claim} for the key unless the key is already recorded, atomically across instances.
     *
     * @return the claim now recorded for the key: {@code claim} itself when this call recorded it, else the earlier one
     */
    Claim claim(@Nullable String owner, String idempotencyKey, Claim claim);

    /** Forgets the key's claim (its request could not be stored or queued, so a retry must start afresh). */
    void forget(@Nullable String owner, String idempotencyKey);

    /**
     * The request a key stands for.
     *
     * @param id          request id
     * @param imageSha256 SHA-256 of the image, hex: a retry must send the same image
     */
    record Claim(String id, String imageSha256) {
    }
}
