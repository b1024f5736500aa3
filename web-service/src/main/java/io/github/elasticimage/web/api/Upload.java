package io.github.elasticimage.web.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.multipart.CompletedFileUpload;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one image of a {@code multipart/form-data} request, checked: exactly one of the accepted fields ({@code myfile},
 * {@code inputFile}, {@code file}), not empty, and an image the workers can decode (see {@link ImageInspector}).
 *
 * @param bytes         the image
 * @param fileName      the client's file name, sanitised for display
 * @param contentType   the MIME type of the detected format (the declared one is not trusted)
 * @param viaInputFile  whether it came in field {@code inputFile} (answered as {@code <stem>:<label>})
 */
public record Upload(byte[] bytes, String fileName, String contentType, boolean viaInputFile) {

    static Upload of(ImageInspector inspector, @Nullable CompletedFileUpload myfile,
                     @Nullable CompletedFileUpload inputFile, @Nullable CompletedFileUpload file) {
        int present = (myfile != null ? 1 : 0) + (inputFile != null ? 1 : 0) + (file != null ? 1 : 0);
        if (present == 0) {
            throw new WebException.BadRequest("no image: send one file as multipart/form-data field 'myfile' "
                    + "(or 'inputFile' or 'file')");
        }
        if (present > 1) {
            throw new WebException.BadRequest("several files: send exactly one image per request");
        }
        CompletedFileUpload upload = myfile != null ? myfile : inputFile != null ? inputFile : file;
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
        ImageInspector.Inspected image = inspector.inspect(bytes);
        return new Upload(bytes, fileName, image.format().mimeType(), upload == inputFile);
    }
}
