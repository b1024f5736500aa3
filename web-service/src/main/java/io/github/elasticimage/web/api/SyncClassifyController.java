package io.github.elasticimage.web.api;

import io.github.elasticimage.web.auth.ApiKeyFilter;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Part;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.RequestAttribute;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.multipart.CompletedFileUpload;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;

import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /classify}: one image in multipart field {@code myfile} (also {@code inputFile} or {@code file}).
 * Answers the bare label as text, {@code <file stem>:<label>} for field {@code inputFile}, or JSON on
 * {@code Accept: application/json}.
 */
@SecurityRequirement(name = "bearer") // when API keys are on (ApiKeyFilter); either header will do
@SecurityRequirement(name = "apiKey")
@Controller
public class SyncClassifyController {

    private final ClassificationService service;
    private final ImageInspector inspector;

    public SyncClassifyController(ClassificationService service, ImageInspector inspector) {
        this.service = service;
        this.inspector = inspector;
    }

    @Post(uri = "/classify")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces({MediaType.TEXT_PLAIN, MediaType.APPLICATION_JSON})
    @ExecuteOn(TaskExecutors.BLOCKING)
    public CompletableFuture<HttpResponse<?>> classify(HttpRequest<?> request,
                                                       @RequestAttribute(ApiKeyFilter.OWNER) @Nullable String owner,
                                                       @Part("myfile") @Nullable CompletedFileUpload myfile,
                                                       @Part("inputFile") @Nullable CompletedFileUpload inputFile,
                                                       @Part("file") @Nullable CompletedFileUpload file) {
        Upload upload = Upload.of(inspector, myfile, inputFile, file);
        boolean json = request.accept().stream().anyMatch(t -> t.matches(MediaType.APPLICATION_JSON_TYPE)
                && !"*".equals(t.getType()));
        return service.classify(upload.bytes(), upload.contentType(), upload.fileName(), owner).thenApply(result -> json
                ? HttpResponse.ok(ClassifyResponse.of(result, upload.fileName()))
                        .contentType(MediaType.APPLICATION_JSON_TYPE)
                : HttpResponse.ok(upload.viaInputFile()
                        ? FileNames.stem(upload.fileName()) + ":" + result.label()
                        : result.label()).contentType(MediaType.TEXT_PLAIN_TYPE));
    }
}
