package io.github.elasticimage.web.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * The JSON body of every error answer.
 *
 * @param status  HTTP status code
 * @param error   HTTP reason phrase
 * @param message what went wrong, for a person
 * @param id      request id, when the request got one (use it to look the result up later)
 */
@Serdeable
public record ErrorResponse(int status, String error, String message, @Nullable String id) {
}
