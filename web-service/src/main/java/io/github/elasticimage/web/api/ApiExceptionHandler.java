package io.github.elasticimage.web.api;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Produces;
import io.micronaut.core.convert.exceptions.ConversionErrorException;
import io.micronaut.http.multipart.CompletedFileUpload;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that maps failures to HTTP answers: {@link WebException}s from this service, and (as the
 * {@link ErrorResponseProcessor}) Micronaut's own errors such as 404, 413 or 415, so every error has the same JSON shape.
 * Failures of this tier (5xx) are logged at WARN, refusals (4xx) at INFO, the admission's 503s by
 * {@link AdmissionRefusals}.
 */
@Singleton
@Produces(MediaType.APPLICATION_JSON)
@Requires(classes = {WebException.class, ExceptionHandler.class})
public class ApiExceptionHandler implements ExceptionHandler<WebException, HttpResponse<ErrorResponse>> {

    private static final Logger LOG = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final AdmissionRefusals refusals;

    public ApiExceptionHandler(AdmissionRefusals refusals) {
        this.refusals = refusals;
    }

    @Override
    public HttpResponse<ErrorResponse> handle(HttpRequest request, WebException e) {
        HttpStatus status = e.status();
        if (e instanceof WebException.CapacityExceeded refusal) {
            refusals.record(request, refusal); // deliberate, and by the thousand under overload: summed up
        } else if (status.getCode() >= 500) {
            LOG.warn("request id={} failed: {} {}", e.requestId(), status.getCode(), e.getMessage(), e.getCause());
        } else {
            LOG.info("request id={} refused: {} {}", e.requestId(), status.getCode(), e.getMessage());
        }
        MutableHttpResponse<ErrorResponse> response = HttpResponse.<ErrorResponse>status(status)
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(new ErrorResponse(status.getCode(), status.getReason(), e.getMessage(), e.requestId()));
        if (e instanceof WebException.CapacityExceeded || e instanceof WebException.BackendUnavailable
                || e instanceof WebException.Stopping) {
            response.header("Retry-After", "1");
        }
        if (e instanceof WebException.CapacityExceeded && expectsContinue(request)) {
            // Refused before its body was read, and the client waits for 100 Continue before sending it: say that
            // this connection ends here (RFC 9110 10.1.1) instead of keeping it open for a body that never comes,
            // where the client's next request would be read as that body.
            response.header(HttpHeaders.CONNECTION, "close");
        }
        if (e instanceof WebException.Unauthorized) {
            response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        return response;
    }

    private static boolean expectsContinue(HttpRequest<?> request) {
        return request.getHeaders().getAll(HttpHeaders.EXPECT).stream()
                .anyMatch(value -> value.equalsIgnoreCase("100-continue"));
    }

    /** A multipart field we expect a file in carried a plain value (400 with a reason a person understands). */
    @Singleton
    @Produces(MediaType.APPLICATION_JSON)
    @Replaces(io.micronaut.http.server.exceptions.ConversionErrorHandler.class)
    public static class FileFieldConversionErrorHandler
            implements ExceptionHandler<ConversionErrorException, HttpResponse<ErrorResponse>> {

        @Override
        public HttpResponse<ErrorResponse> handle(HttpRequest request, ConversionErrorException e) {
            String field = e.getArgument().getName();
            String message = e.getArgument().getType() == CompletedFileUpload.class
                    ? "field '" + field + "' must be a file upload (multipart/form-data with a filename)"
                    : "field '" + field + "' has an invalid value";
            return HttpResponse.<ErrorResponse>badRequest()
                    .contentType(MediaType.APPLICATION_JSON_TYPE)
                    .body(new ErrorResponse(400, HttpStatus.BAD_REQUEST.getReason(), message, null));
        }
    }

    /** Micronaut's own errors (routing, binding, size limits) in the same JSON shape. */
    @Singleton
    @Replaces(ErrorResponseProcessor.class)
    public static class JsonErrorResponseProcessor implements ErrorResponseProcessor<ErrorResponse> {

        @Override
        public MutableHttpResponse<ErrorResponse> processResponse(ErrorContext context, MutableHttpResponse<?> response) {
            HttpStatus status = response.getStatus();
            String message = context.getErrors().isEmpty()
                    ? status.getReason()
                    : context.getErrors().get(0).getMessage();
            return response.contentType(MediaType.APPLICATION_JSON_TYPE)
                    .body(new ErrorResponse(status.getCode(), status.getReason(), message, null));
        }
    }
}
