package io.github.elasticimage.web.storage;

import io.github.elasticimage.aws.ResourceNames;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link IdempotencyStore} in the output bucket, beside the results (and expiring with them): one small JSON object per
 * key, {@code idempotency/<SHA-256 of owner tag and key>.json}, so neither the key nor the owner appears in a name. The
 * first request writes it with a conditional put ({@code If-None-Match: *}, which S3 and S3Proxy honour): of two
 * requests racing with one key, on one instance or two, exactly one write succeeds (412 for the other, or 409 when S3
 * sees both at once), and the loser reads the winner's claim.
 */
@Singleton
public class S3IdempotencyStore implements IdempotencyStore {

    static final String PREFIX = "idempotency/";
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");
    private static final Pattern IMAGE = Pattern.compile("\"imageSha256\":\"([0-9a-f]{64})\"");
    private static final int READ_ATTEMPTS = 5;

    private final S3Client s3;
    private final ResourceNames names;

    public S3IdempotencyStore(S3Client s3, ResourceNames names) {
        this.s3 = s3;
        this.names = names;
    }

    @Override
    public Claim claim(@Nullable String owner, String idempotencyKey, Claim claim) {
        String key = objectKey(owner, idempotencyKey);
        String json = "{\"id\":\"" + claim.id() + "\",\"imageSha256\":\"" + claim.imageSha256() + "\"}";
        try {
            s3.putObject(b -> b.bucket(names.outputBucket()).key(key).contentType("application/json").ifNoneMatch("*"),
                    RequestBody.fromString(json));
            return claim;
        } catch (S3Exception e) {
            if (e.statusCode() != 412 && e.statusCode() != 409) {
                throw e;
            }
        }
        // Someone else holds the key. Its object is there (412), or is being written (409): read it.
        for (int attempt = 1; ; attempt++) {
            try {
                String stored = s3.getObjectAsBytes(b -> b.bucket(names.outputBucket()).key(key))
                        .asString(StandardCharsets.UTF_8);
                Matcher id = ID.matcher(stored);
                Matcher image = IMAGE.matcher(stored);
                if (!id.find() || !image.find()) {
                    throw new IllegalStateException("unreadable idempotency record " + key);
                }
                return new Claim(id.group(1), image.group(1));
            } catch (NoSuchKeyException e) {
                // 409: the other write has not landed yet; or it was forgotten since (its request failed): try again
                if (attempt == READ_ATTEMPTS) {
                    return claim(owner, idempotencyKey, claim);
                }
                sleep(100L * attempt);
            }
        }
    }

    @Override
    public void forget(@Nullable String owner, String idempotencyKey) {
        s3.deleteObject(b -> b.bucket(names.outputBucket()).key(objectKey(owner, idempotencyKey)));
    }

    /** The object a key is recorded in: a digest of the owner tag (empty when keys are off) and the key. */
    static String objectKey(@Nullable String owner, String idempotencyKey) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((owner == null ? "" : owner).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) '\n');
            sha.update(idempotencyKey.getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(sha.digest()) + ".json";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
