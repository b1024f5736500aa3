package io.github.elasticimage.web.storage;

import io.github.elasticimage.aws.ResourceNames;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import jakarta.inject.Singleton;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** {@link ImageStore} on S3: uploads go to the input bucket as {@link Messages#uploadKey}, results are read from the output bucket. */
@Singleton
public class S3ImageStore implements ImageStore {

    private final S3Client s3;
    private final ResourceNames names;

    public S3ImageStore(S3Client s3, ResourceNames names) {
        this.s3 = s3;
        this.names = names;
    }

    @Override
    public boolean exists(String id) {
        try {
            s3.headObject(b -> b.bucket(names.inputBucket()).key(Messages.uploadKey(id)));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public StoredImage put(String id, byte[] bytes, String contentType) {
        String key = Messages.uploadKey(id);
        s3.putObject(b -> b.bucket(names.inputBucket()).key(key).contentType(contentType), RequestBody.fromBytes(bytes));
        return new StoredImage(names.inputBucket(), key);
    }

    @Override
    public void delete(StoredImage image) {
        s3.deleteObject(b -> b.bucket(image.bucket()).key(image.key()));
    }

    @Override
    public Optional<ClassificationResult> result(String id) {
        try {
            var bytes = s3.getObjectAsBytes(b -> b.bucket(names.outputBucket()).key(Messages.resultKey(id)));
            return Optional.of(Messages.parseResult(bytes.asString(StandardCharsets.UTF_8)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }
}
