package io.github.elasticimage.contract;

import io.micronaut.serde.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON encoding of the message contract, and the names both tiers agree on.
 */
public final class Messages {

    /** Current contract version. Bump it when a field changes meaning; workers refuse unknown versions. */
    public static final int VERSION = 1;

    /** Prefix of every upload's key in the input bucket (the workers' IAM policy names {@code uploads/*}). */
    public static final String UPLOAD_PREFIX = "uploads/";

    /** Key of the uploaded image in the input bucket for a request id. */
    public static String uploadKey(String id) {
        return UPLOAD_PREFIX + id;
    }

    /**
     * Name of the S3 user metadata ({@code x-amz-meta-owner}) that carries {@link ClassificationRequest#owner()} on the
     * upload (written by the web tier) and on the result (written by the worker).
     */
    public static final String OWNER_METADATA = "owner";

    /**
     * Message attribute on a request the worker refused and moved to the dead-letter queue unprocessed: why it was
     * refused. Requests dead-lettered by SQS after maxReceiveCount receives have none.
     */
    public static final String REJECTED_REASON_ATTRIBUTE = "RejectedReason";

    /** Key of the result object in the output bucket for a request id. */
    public static String resultKey(String id) {
        return id + ".json";
    }

    private static final ObjectMapper MAPPER = ObjectMapper.getDefault();

    private Messages() {
    }

    public static String toJson(Object message) {
        try {
            return MAPPER.writeValueAsString(message);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    public static ClassificationRequest parseRequest(String json) {
        ClassificationRequest request = parse(json, ClassificationRequest.class);
        checkVersion(request.version());
        return request;
    }

    public static ClassificationResult parseResult(String json) {
        ClassificationResult result = parse(json, ClassificationResult.class);
        checkVersion(result.version());
        return result;
    }

    private static <T> T parse(String json, Class<T> type) {
        if (json == null || json.isBlank()) {
            throw new MalformedMessageException("empty message body");
        }
        try {
            T value = MAPPER.readValue(json, type);
            if (value == null) {
                throw new MalformedMessageException("message body is JSON null");
            }
            return value;
        } catch (IOException | RuntimeException e) {
            if (e instanceof MalformedMessageException m) {
                throw m;
            }
            throw new MalformedMessageException("not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static void checkVersion(int version) {
        if (version != VERSION) {
            throw new MalformedMessageException("unsupported contract version " + version + " (expected " + VERSION + ")");
        }
    }

    static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    /** A queue message that does not follow the contract. */
    public static final class MalformedMessageException extends RuntimeException {
        public MalformedMessageException(String message) {
            super(message);
        }

        public MalformedMessageException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
