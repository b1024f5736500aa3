package io.github.elasticimage.web;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.http.MultipartForm;
import io.micronaut.runtime.server.EmbeddedServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What users really send. Every case gets a defined status and, for errors, a JSON reason; refused uploads leave no
 * object in the input bucket and no message on the request queue; the service stays up for the next request.
 * The test has its own input bucket and request queue (no other test writes to them), so "nothing stored or queued"
 * compares the exact set of object keys and the exact requests its worker received, before and after each case.
 */
class BadInputTest extends WebTierTest {

    private static final Path SAMPLES = Path.of(System.getProperty("samples.dir"));
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String INPUT_BUCKET = "bad-input-test-uploads";
    private static final String REQUEST_QUEUE = "bad-input-test-requests";
    /** Refused by the worker, not the web tier: queued once, then its upload is deleted. */
    private static final Set<String> REFUSED_BY_WORKER = Set.of("truncated JPEG");
    private final AtomicInteger nextCaller = new AtomicInteger();
    private final String requestQueueUrl;
    private final FakeWorker worker;

    BadInputTest() {
        if (CLOUD.s3().listBuckets().buckets().stream().noneMatch(b -> b.name().equals(INPUT_BUCKET))) {
            CLOUD.s3().createBucket(b -> b.bucket(INPUT_BUCKET));
        }
        requestQueueUrl = CLOUD.sqs().createQueue(b -> b.queueName(REQUEST_QUEUE)).queueUrl();
        worker = new FakeWorker(CLOUD, REQUEST_QUEUE);
    }

    @Inject
    EmbeddedServer server;

    @Override
    protected void configure(Map<String, String> properties) {
        properties.put("app.web.result-timeout", "10s");
        properties.put("app.resources.input-bucket", INPUT_BUCKET);
        properties.put("app.resources.request-queue", REQUEST_QUEUE);
    }

    @AfterAll
    void stopWorker() throws InterruptedException {
        worker.close();
    }

    /** One multipart part. */
    record Part(String field, String fileName, String contentType, byte[] bytes) {
    }

    static Part part(String field, String fileName, String contentType, byte[] bytes) {
        return new Part(field, fileName, contentType, bytes);
    }

    static byte[] sample(String name) {
        try {
            return Files.readAllBytes(SAMPLES.resolve(name));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] encoded(String format, int w, int h) {
        try {
            BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertTrue(ImageIO.write(image, format, out), format);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A 57-byte PNG whose header announces 100000 x 100000 pixels. */
    static byte[] bomb() {
        ByteBuffer ihdr = ByteBuffer.allocate(17).put("IHDR".getBytes(StandardCharsets.US_ASCII))
                .putInt(100_000).putInt(100_000).put(new byte[] {8, 2, 0, 0, 0});
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        return ByteBuffer.allocate(45).put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a})
                .putInt(13).put(ihdr.array()).putInt((int) crc.getValue())
                .putInt(0).put("IEND".getBytes(StandardCharsets.US_ASCII)).putInt(0xae426082).array();
    }

    private static final byte[] WEBP_1X1 =
            Base64.getDecoder().decode("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA");

    static Predicate<String> labelOf(byte[] bytes) {
        return body -> body.equals(FakeWorker.labelFor(bytes));
    }

    static Predicate<String> reasonContains(String text) {
        return body -> body.contains("\"message\"") && body.contains(text);
    }

    static Stream<Arguments> cases() {
        byte[] png = sample("coffee.png");
        byte[] jpeg = sample("rocket.jpg");
        byte[] oneByOne = encoded("png", 1, 1);
        byte[] gif = encoded("gif", 40, 30);
        byte[] bmp = encoded("bmp", 40, 30);
        byte[] tiff = encoded("tiff", 40, 30);
        String longName = "x".repeat(1000) + ".png";
        return Stream.of(
                Arguments.of("no file", List.of(), 400, reasonContains("myfile")),
                Arguments.of("a text value instead of a file", List.of(part("myfile", null, null,
                        "hello".getBytes())), 400, reasonContains("must be a file upload")),
                Arguments.of("empty file", List.of(part("myfile", "e.png", "image/png", new byte[0])), 400,
                        reasonContains("empty")),
                Arguments.of("several files", List.of(part("myfile", "a.png", "image/png", png),
                        part("file", "b.jpg", "image/jpeg", jpeg)), 400, reasonContains("exactly one")),
                Arguments.of("text file", List.of(part("myfile", "notes.txt", "text/plain",
                        "just some text, no image".getBytes())), 415, reasonContains("JPEG, PNG")),
                Arguments.of("PDF", List.of(part("myfile", "doc.pdf", "application/pdf",
                        "%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF".getBytes())), 415, reasonContains("not a supported")),
                Arguments.of("SVG", List.of(part("myfile", "i.svg", "image/svg+xml",
                        "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes())), 415, reasonContains("not a supported")),
                // its header is fine: the worker finds the damage, answers a failure and drops the upload
                Arguments.of("truncated JPEG", List.of(part("myfile", "truncated.jpg", "image/jpeg",
                        sample("truncated.jpg"))), 422, reasonContains("not an image")),
                Arguments.of("decompression bomb", List.of(part("myfile", "bomb.png", "image/png", bomb())), 422,
                        reasonContains("100000x100000")),
                Arguments.of("over the size limit", List.of(part("myfile", "big.png", "image/png",
                        new byte[11 * 1024 * 1024])), 413, reasonContains("")),
                Arguments.of("wrong declared content type", List.of(part("myfile", "coffee.txt", "text/plain", png)),
                        200, labelOf(png)),
                Arguments.of("1x1 image", List.of(part("myfile", "dot.png", "image/png", oneByOne)), 200,
                        labelOf(oneByOne)),
                Arguments.of("GIF", List.of(part("myfile", "a.gif", "image/gif", gif)), 200, labelOf(gif)),
                Arguments.of("BMP", List.of(part("myfile", "a.bmp", "image/bmp", bmp)), 200, labelOf(bmp)),
                Arguments.of("TIFF", List.of(part("myfile", "a.tiff", "image/tiff", tiff)), 200, labelOf(tiff)),
                Arguments.of("WebP", List.of(part("myfile", "a.webp", "image/webp", WEBP_1X1)), 200,
                        labelOf(WEBP_1X1)),
                Arguments.of("path traversal name", List.of(part("inputFile", "../../etc/passwd.png", "image/png",
                        png)), 200, (Predicate<String>) body -> body.equals("passwd:" + FakeWorker.labelFor(png))),
                Arguments.of("1000-character name", List.of(part("inputFile", longName, "image/png", jpeg)), 200,
                        (Predicate<String>) body -> body.length() < 200 && body.endsWith(FakeWorker.labelFor(jpeg))),
                Arguments.of("control characters in the name", List.of(part("inputFile", "evil\u0007\u001b[31m.png",
                        "image/png", png)), 200, (Predicate<String>) body -> body.equals("evil[31m:"
                        + FakeWorker.labelFor(png))),
                Arguments.of("unicode name", List.of(part("inputFile", "café_東京.png", "image/png", jpeg)), 200,
                        (Predicate<String>) body -> body.equals("café_東京:" + FakeWorker.labelFor(jpeg))));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("cases")
    void eachCaseHasADefinedAnswer(String name, List<Part> parts, int status, Predicate<String> body)
            throws Exception {
        Set<String> keysBefore = inputKeys();
        int receivedBefore = worker.received().size();
        HttpResponse<String> response = post(parts);
        assertEquals(status, response.statusCode(), name + ": " + response.body());
        assertTrue(body.test(response.body()), name + ": unexpected body " + response.body());
        boolean refusedByWeb = status >= 400 && !REFUSED_BY_WORKER.contains(name);
        if (status >= 400) {
            assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"),
                    name + ": error is not JSON");
        }
        if (refusedByWeb) {
            assertEquals(keysBefore, inputKeys(), name + ": a refused upload was stored");
        }
        // and the service is still up and correct for the next caller
        byte[] png = TestImages.png("after " + name);
        String nextName = "next-" + nextCaller.incrementAndGet() + ".png";
        HttpResponse<String> after = post(List.of(part("myfile", nextName, "image/png", png)));
        assertEquals(200, after.statusCode(), after.body());
        assertEquals(FakeWorker.labelFor(png), after.body());

        // Every message on this test's queue has been received and deleted: the worker's log is complete.
        await().atMost(Duration.ofSeconds(20)).until(() -> requestQueueDepth() == 0);
        List<ClassificationRequest> queued = worker.received().subList(receivedBefore, worker.received().size());
        List<String> queuedNames = queued.stream().map(r -> String.valueOf(r.fileName())).sorted().toList();
        Set<String> expectedKeys = new HashSet<>(keysBefore);
        if (refusedByWeb) {
            assertEquals(List.of(nextName), queuedNames, name + ": a refused upload was queued");
            expectedKeys.add(queued.get(0).key());
        } else {
            assertEquals(2, queued.size(), name + ": expected this case's request and the next one: " + queuedNames);
            assertTrue(queuedNames.contains(nextName), queuedNames.toString());
            for (ClassificationRequest request : queued) {
                boolean kept = status < 400 || request.fileName().equals(nextName);
                if (kept) {
                    expectedKeys.add(request.key());
                }
            }
        }
        assertEquals(expectedKeys, inputKeys(), name + ": uploads in the input bucket");
    }

    private HttpResponse<String> post(List<Part> parts) throws IOException, InterruptedException {
        MultipartForm form = new MultipartForm("----bad-input-test");
        for (Part p : parts) {
            form.part(p.field(), p.fileName(), p.contentType(), p.bytes());
        }
        HttpRequest request = form.postChunked(HttpRequest.newBuilder(URI.create(server.getURL() + "/classify")))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** Every key in this test's input bucket, all pages. */
    private Set<String> inputKeys() {
        Set<String> keys = new HashSet<>();
        CLOUD.s3().listObjectsV2Paginator(b -> b.bucket(INPUT_BUCKET)).contents().forEach(o -> keys.add(o.key()));
        return keys;
    }

    private int requestQueueDepth() {
        var a = CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(requestQueueUrl).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
        return Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }
}
