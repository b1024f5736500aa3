package io.github.elasticimage.web.storage;

import io.github.elasticimage.aws.ResourceNames;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * {@link ImageStore} on S3: uploads go to the input bucket as {@link Messages#uploadKey}, results are read from the
 * output bucket. The owner tag is the objects' user metadata {@code x-amz-meta-owner} ({@link Messages#OWNER_METADATA}).
 */
@Singleton
public class S3ImageStore implements ImageStore {

    private final S3Client s3;
    private final ResourceNames names;

    public S3ImageStore(S3Client s3, ResourceNames names) {
        this.s3 = s3;
        this.names = names;
    }

    @Override
    public Optional<Owned<StoredImage>> upload(String id) {
        String key = Messages.uploadKey(id);
        try {
            var head = s3.headObject(b -> b.bucket(names.inputBucket()).key(key));
            return Optional.of(new Owned<>(new StoredImage(names.inputBucket(), key),
                    head.metadata().get(Messages.OWNER_METADATA)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public StoredImage put(String id, byte[] bytes, String contentType, @Nullable String owner) {
        String key = Messages.uploadKey(id);
        // The upload as it is, not a copy (RequestBody.fromBytes copies): nothing changes it after this call.
        s3.putObject(b -> b.bucket(names.inputBucket()).key(key).contentType(contentType)
                .metadata(owner == null ? Map.of() : Map.of(Messages.OWNER_METADATA, owner)),
                RequestBody.fromContentProvider(ContentStreamProvider.fromByteArrayUnsafe(bytes), bytes.length,
                        contentType));
        return new StoredImage(names.inputBucket(), key);
    }

    @Override
    public void delete(StoredImage image) {
        s3.deleteObject(b -> b.bucket(image.bucket()).key(image.key()));
    }

    @Override
    public boolean storeResultIfAbsent(ClassificationResult result, @Nullable String owner) {
        try {
            s3.putObject(b -> b.bucket(names.outputBucket()).key(Messages.resultKey(result.id()))
                    .contentType("application/json").ifNoneMatch("*")
                    .metadata(owner == null ? Map.of() : Map.of(Messages.OWNER_METADATA, owner)),
                    RequestBody.fromString(Messages.toJson(result)));
            return true;
        } catch (S3Exception e) {
            // 412: an object exists; 409: a concurrent conditional write to the same key is in progress.
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public Optional<Owned<ClassificationResult>> result(String id) {
        try {
            var bytes = s3.getObjectAsBytes(b -> b.bucket(names.outputBucket()).key(Messages.resultKey(id)));
            return Optional.of(new Owned<>(Messages.parseResult(bytes.asString(StandardCharsets.UTF_8)),
                    bytes.response().metadata().get(Messages.OWNER_METADATA)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }
}
