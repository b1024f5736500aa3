package io.github.elasticimage.web.storage;

import io.github.elasticimage.contract.ClassificationResult;

import java.util.Optional;

/** Where uploads go and results are read back from. */
public interface ImageStore {

    /** Stores an upload under a server-chosen key and returns {@code bucket} and {@code key}. */
    StoredImage put(String id, byte[] bytes, String contentType);

    /** Removes an upload that will never be processed (e.g. the request could not be queued). */
    void delete(StoredImage image);

    /** Whether an upload is stored under this request id. */
    boolean exists(String id);

    /** The stored result for a request id, if a worker wrote one. */
    Optional<ClassificationResult> result(String id);

    /** Location of a stored upload. */
    record StoredImage(String bucket, String key) {
    }
}
