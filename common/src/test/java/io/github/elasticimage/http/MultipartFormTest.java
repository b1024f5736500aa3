package io.github.elasticimage.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MultipartFormTest {

    @Test
    void aFilePartIsFramedByTheBoundaryWithItsHeaders() {
        MultipartForm form = new MultipartForm("b1").file("myfile", "cat.png", "image/png",
                "PNG".getBytes(StandardCharsets.UTF_8));
        assertEquals("multipart/form-data; boundary=b1", form.contentType());
        assertEquals("--b1\r\nContent-Disposition: form-data; name=\"myfile\"; filename=\"cat.png\"\r\n"
                + "Content-Type: image/png\r\n\r\nPNG\r\n--b1--\r\n", new String(form.toByteArray(),
                StandardCharsets.UTF_8));
    }

    @Test
    void aPartWithoutFileNameOrTypeLeavesThoseOut() {
        MultipartForm form = new MultipartForm("b2").part("note", null, null, "hi".getBytes(StandardCharsets.UTF_8))
                .part("myfile", "a.jpg", null, new byte[0]);
        assertEquals("--b2\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
                + "--b2\r\nContent-Disposition: form-data; name=\"myfile\"; filename=\"a.jpg\"\r\n\r\n\r\n--b2--\r\n",
                new String(form.toByteArray(), StandardCharsets.UTF_8));
    }
}
