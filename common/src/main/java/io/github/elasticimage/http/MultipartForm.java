package io.github.elasticimage.http;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A {@code multipart/form-data} body for {@code java.net.http}, as the classify API takes an image: the load-test CLI
 * and the tests build their uploads with it. Parts are written exactly as given, so a test can also send what a
 * browser would not (no file name, no content type).
 */
public final class MultipartForm {

    private final String boundary;
    private final List<byte[]> chunks = new ArrayList<>();

    public MultipartForm(String boundary) {
        this.boundary = boundary;
    }

    /** A form with a random boundary. */
    public static MultipartForm create() {
        return new MultipartForm("----elastic-image-" + UUID.randomUUID());
    }

    /** A file part: {@code name}, {@code filename} and {@code Content-Type} as given. */
    public MultipartForm file(String field, String fileName, String contentType, byte[] bytes) {
        return part(field, fileName, contentType, bytes);
    }

    /** A part; a null {@code fileName} or {@code contentType} leaves that header parameter out. */
    public MultipartForm part(String field, String fileName, String contentType, byte[] bytes) {
        StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n")
                .append("Content-Disposition: form-data; name=\"").append(field).append('"');
        if (fileName != null) {
            head.append("; filename=\"").append(fileName).append('"');
        }
        head.append("\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        head.append("\r\n");
        chunks.add(head.toString().getBytes(StandardCharsets.UTF_8));
        chunks.add(bytes);
        chunks.add("\r\n".getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** The request's {@code Content-Type} header value. */
    public String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /** The whole body, closing boundary included. */
    public byte[] toByteArray() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] chunk : chunks) {
            out.writeBytes(chunk);
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** A POST of this form to {@code builder}'s URI with its {@code Content-Length}, as browsers and curl send it. */
    public HttpRequest.Builder post(HttpRequest.Builder builder) {
        return builder.header("Content-Type", contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(toByteArray()));
    }

    /**
     * A POST of this form sent in chunks without a {@code Content-Length} (chunked transfer encoding): a server that
     * refuses an oversized body has to find out by reading it, not from a header.
     */
    public HttpRequest.Builder postChunked(HttpRequest.Builder builder) {
        List<byte[]> all = new ArrayList<>(chunks);
        all.add(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return builder.header("Content-Type", contentType()).POST(HttpRequest.BodyPublishers.ofByteArrays(all));
    }
}
