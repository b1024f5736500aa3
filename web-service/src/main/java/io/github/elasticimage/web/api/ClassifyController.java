package io.github.elasticimage.web.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Part;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.multipart.CompletedFileUpload;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /classify}: one image in multipart field {@code myfile} (also {@code inputFile} or {@code file}).
 * Answers the bare label as text, {@code <file stem>:<label>} for field {@code inputFile}, or JSON on
 * {@code Accept: application/json}.
 */
@Controller
public class ClassifyController {

    private final ClassificationService service;

    public ClassifyController(ClassificationService service) {
        this.service = service;
    }

    @Post(uri = "/classify")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces({MediaType.TEXT_PLAIN, MediaType.APPLICATION_JSON})
    @ExecuteOn(TaskExecutors.BLOCKING)
    public CompletableFuture<HttpResponse<?>> classify(HttpRequest<?> request,
                                                       @Part("myfile") @Nullable CompletedFileUpload myfile,
                                                       @Part("inputFile") @Nullable CompletedFileUpload inputFile,
                                                       @Part("file") @Nullable CompletedFileUpload file) {
        CompletedFileUpload upload = firstPresent(myfile, inputFile, file);
        boolean prefixWithName = upload == inputFile;
        String fileName = FileNames.sanitise(upload.getFilename());
        byte[] bytes;
        try {
            bytes = upload.getBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the upload", e);
        }
        if (bytes.length == 0) {
            throw new WebException.BadRequest("the uploaded file '" + fileName + "' is empty");
        }
        String contentType = upload.getContentType().map(MediaType::toString).orElse(MediaType.APPLICATION_OCTET_STREAM);
        boolean json = request.accept().stream().anyMatch(t -> t.matches(MediaType.APPLICATION_JSON_TYPE)
                && !"*".equals(t.getType()));
        return service.classify(bytes, contentType, fileName).thenApply(result -> json
                ? HttpResponse.ok(ClassifyResponse.of(result, fileName)).contentType(MediaType.APPLICATION_JSON_TYPE)
                : HttpResponse.ok(prefixWithName ? FileNames.stem(fileName) + ":" + result.label() : result.label())
                        .contentType(MediaType.TEXT_PLAIN_TYPE));
    }

    private static CompletedFileUpload firstPresent(CompletedFileUpload... uploads) {
        for (CompletedFileUpload upload : uploads) {
            if (upload != null) {
                return upload;
            }
        }
        throw new WebException.BadRequest("no image: send one file as multipart/form-data field 'myfile' "
                + "(or 'inputFile' or 'file')");
    }
}
