package io.github.elasticimage.contract;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * A request message on the request queue: "classify the object {@code bucket/key} and answer on {@code replyTo}".
 *
 * <p>This record, {@link ClassificationResult} and {@link Messages} are the whole contract between the web tier and the
 * classifier tier. Both sides depend on this module, so the contract is written once.
 *
 * @param version      contract version, {@link Messages#VERSION}; a worker refuses versions it does not know
 * @param id           server-generated request id (also the storage key stem of the input and the result)
 * @param bucket       bucket holding the uploaded image
 * @param key          object key of the uploaded image (never derived from the client's file name)
 * @param fileName     the client's file name, sanitised, for display only
 * @param replyTo      URL of the queue the answer must be sent to (one per web instance)
 * @param submittedAt  epoch millis when the web tier queued the request
 * @param owner        which API key submitted it, as a one-way tag ({@code ApiKeys} in the web tier), never the key;
 *                     the worker stores it as the result's {@link Messages#OWNER_METADATA} metadata so only that key
 *                     can read the result. Absent when API keys are off, and in messages written before it existed
 *                     (optional, so both tiers accept messages with and without it; contract version unchanged)
 */
@Serdeable
public record ClassificationRequest(
        int version,
        String id,
        String bucket,
        String key,
        @Nullable String fileName,
        String replyTo,
        long submittedAt,
        @Nullable String owner) {

    public ClassificationRequest {
        Messages.requireText(id, "id");
        Messages.requireText(bucket, "bucket");
        Messages.requireText(key, "key");
        Messages.requireText(replyTo, "replyTo");
    }

    /** A request of the current contract version, with no owner (API keys off). */
    public static ClassificationRequest of(String id, String bucket, String key, @Nullable String fileName,
                                           String replyTo, long submittedAt) {
        return of(id, bucket, key, fileName, replyTo, submittedAt, null);
    }

    /** A request of the current contract version submitted with the API key whose tag is {@code owner}. */
    public static ClassificationRequest of(String id, String bucket, String key, @Nullable String fileName,
                                           String replyTo, long submittedAt, @Nullable String owner) {
        return new ClassificationRequest(Messages.VERSION, id, bucket, key, fileName, replyTo, submittedAt, owner);
    }
}
