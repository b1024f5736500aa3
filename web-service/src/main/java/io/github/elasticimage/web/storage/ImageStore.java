package io.github.elasticimage.web.storage;

import io.github.elasticimage.contract.ClassificationResult;
import io.micronaut.core.annotation.Nullable;

import java.util.Optional;

/** Where uploads go and results are read back from. */
public interface ImageStore {

    /**
     * Stores an upload under a server-chosen key and returns {@code bucket} and {@code key}; {@code owner} is the
     * submitting API key's tag (null when keys are off), kept with the upload.
     */
    StoredImage put(String id, byte[] bytes, String contentType, @Nullable String owner);

    /** Removes an upload that will never be processed (e.g. the request could not be queued). */
    void delete(StoredImage image);

    /** The upload stored under this request id, if any, with its owner tag. */
    Optional<Owned<StoredImage>> upload(String id);

    /** The stored result for a request id, if a worker wrote one, with its owner tag. */
    Optional<Owned<ClassificationResult>> result(String id);

    /**
     * Stores {@code result} under its id unless a result is already there (S3 conditional write,
     * {@code If-None-Match: *}), with the owner tag.
     *
     * @return true when this call stored it, false when a result existed (or another writer won the race)
     */
    boolean storeResultIfAbsent(ClassificationResult result, @Nullable String owner);

    /** Location of a stored upload. */
    record StoredImage(String bucket, String key) {
    }

    /**
     * A stored object and the owner tag it was stored with.
     *
     * @param value the object
     * @param owner tag of the API key that submitted the request; null when it was submitted with keys off
     */
    record Owned<T>(T value, @Nullable String owner) {
    }
}
