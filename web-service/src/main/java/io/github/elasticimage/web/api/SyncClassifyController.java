package io.github.elasticimage.web.api;

import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.web.auth.ApiKeyFilter;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
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
                                                       @Part("file") @Nullable CompletedFileUpload file,
                                                       @Header(IdempotencyKey.HEADER) @Nullable String idempotencyHeader) {
        String idempotencyKey = IdempotencyKey.check(idempotencyHeader);
        boolean json = request.accept().stream().anyMatch(t -> t.matches(MediaType.APPLICATION_JSON_TYPE)
                && !"*".equals(t.getType()));
        String fileName;
        boolean viaInputFile;
        CompletableFuture<ClassificationResult> answer;
        try {
            Upload upload = Upload.of(inspector, myfile, inputFile, file);
            fileName = upload.fileName();
            viaInputFile = upload.viaInputFile();
            answer = service.classify(upload.bytes(), upload.contentType(), fileName, owner, idempotencyKey);
        } finally {
            Admission.release(request); // stored (or refused): its bytes no longer count against MAX_UPLOAD_MEMORY
        }
        // What follows runs when the answer comes, maybe a minute later: it must not hold the upload (only its name).
        return answer.thenApply(result -> json
                ? HttpResponse.ok(ClassifyResponse.of(result, fileName)).contentType(MediaType.APPLICATION_JSON_TYPE)
                : HttpResponse.ok(viaInputFile ? FileNames.stem(fileName) + ":" + result.label() : result.label())
                        .contentType(MediaType.TEXT_PLAIN_TYPE));
    }
}
