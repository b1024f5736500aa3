package io.github.elasticimage.classifier.model;

import io.github.elasticimage.contract.ClassificationResult.ErrorCode;

/** The bytes cannot be turned into pixels (or should not be: too many). Answered to the caller, never retried. */
public class ImageDecodeException extends RuntimeException {

    private final ErrorCode code;

    public ImageDecodeException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
