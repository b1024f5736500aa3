package io.github.elasticimage.web.api;

import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.web.auth.ApiKeyFilter;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Part;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.annotation.RequestAttribute;
import io.micronaut.http.multipart.CompletedFileUpload;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;

import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The asynchronous API: {@code POST /api/v1/classifications} answers 202 at once with the request id and a status URL;
 * {@code GET /api/v1/classifications/{id}} reads the outcome from the output bucket. A client whose synchronous call
 * timed out can look its result up here with the id from the 504 body. With API keys on, an id is known only to the key
 * that submitted it: any other key gets the same 404 as for an id that does not exist.
 */
@SecurityRequirement(name = "bearer") // when API keys are on (ApiKeyFilter); either header will do
@SecurityRequirement(name = "apiKey")
@Controller("/api/v1/classifications")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AsyncClassificationsController {

    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final ClassificationService service;
    private final ImageInspector inspector;

    public AsyncClassificationsController(ClassificationService service, ImageInspector inspector) {
        this.service = service;
        this.inspector = inspector;
    }

    /**
     * A classification's state.
     *
     * @param id         request id
     * @param status     {@code pending}, {@code done} or {@code failed}
     * @param statusUrl  where to poll
     * @param label      top-1 label (done)
     * @param confidence top-1 probability (done)
     * @param top5       five best labels (done)
     * @param reason     why it failed (failed)
     */
    @Serdeable
    public record Classification(String id, String status, String statusUrl, @Nullable String label,
                                 @Nullable Double confidence, @Nullable List<ClassificationResult.Prediction> top5,
                                 @Nullable String reason) {
    }

    @Post
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    public HttpResponse<Classification> submit(HttpRequest<?> request,
                                               @RequestAttribute(ApiKeyFilter.OWNER) @Nullable String owner,
                                               @Part("myfile") @Nullable CompletedFileUpload myfile,
                                               @Part("inputFile") @Nullable CompletedFileUpload inputFile,
                                               @Part("file") @Nullable CompletedFileUpload file,
                                               @Header(IdempotencyKey.HEADER) @Nullable String idempotencyHeader) {
        String idempotencyKey = IdempotencyKey.check(idempotencyHeader);
        String id;
        try {
            Upload upload = Upload.of(inspector, myfile, inputFile, file);
            id = service.submit(upload.bytes(), upload.contentType(), upload.fileName(), owner, idempotencyKey);
        } finally {
            Admission.release(request); // stored (or refused): its bytes no longer count against MAX_UPLOAD_MEMORY
        }
        String url = statusUrl(id);
        return HttpResponse.<Classification>status(HttpStatus.ACCEPTED)
                .headers(h -> h.location(URI.create(url)))
                .body(new Classification(id, "pending", url, null, null, null, null));
    }

    @Get("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Classification status(@PathVariable String id,
                                 @RequestAttribute(ApiKeyFilter.OWNER) @Nullable String owner) {
        if (!ID.matcher(id).matches()) {
            throw new WebException.BadRequest("not a request id: expected a UUID like 123e4567-e89b-12d3-a456-426614174000");
        }
        String url = statusUrl(id);
        return service.result(id, owner)
                .map(result -> result.isDone()
                        ? new Classification(id, "done", url, result.label(), result.confidence(), result.top5(), null)
                        : new Classification(id, "failed", url, null, null, null, result.error()))
                .orElseGet(() -> {
                    if (!service.accepted(id, owner)) {
                        throw new WebException.NotFound("no classification with id " + id);
                    }
                    return new Classification(id, "pending", url, null, null, null, null);
                });
    }

    private static String statusUrl(String id) {
        return "/api/v1/classifications/" + id;
    }
}
