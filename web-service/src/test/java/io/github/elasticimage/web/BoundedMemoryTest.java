package io.github.elasticimage.web;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Waiting callers cost no upload memory, and uploads in memory are bounded in bytes ({@code MAX_UPLOAD_MEMORY}): 1000
 * callers, each with a 1 MB image, all waiting at once on one web tier that runs as its own JVM with a 256 MB heap
 * ({@code -Xmx256m -XX:+ExitOnOutOfMemoryError}, its default settings otherwise). Uploads beyond the byte bound are
 * refused with 503 and {@code Retry-After}, and the callers retry after it, as a client should; every other answer must
 * be the caller's own label. The stand-in worker answers nobody until it has all 1000 requests, so every caller waits
 * at the same time, with its upload stored.
 */
class BoundedMemoryTest {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    private static final int CALLERS = Integer.getInteger("bounded.callers", 1000);
    private static final String HOST = "127.0.0.1";

    @Test
    void aThousandCallersWithOneMegabyteUploadsWaitInA256MbHeap() throws Exception {
        long started = System.nanoTime();
        String queue = "bounded-memory-requests";
        CLOUD.sqs().createQueue(b -> b.queueName(queue));
        byte[] image = noisePng(592, 592); // about 1 MB: noise does not compress
        assertTrue(image.length > 1_000_000, "image of " + image.length + " bytes");

        int port = LocalAwsServers.freePort(HOST);
        int managementPort = LocalAwsServers.freePort(HOST);
        Process web = startWeb(queue, port, managementPort);
        System.out.println("bounded-memory: web tier pid " + web.pid());
        ConcurrentLinkedQueue<String> webLog = new ConcurrentLinkedQueue<>();
        pump(web, webLog);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .executor(Executors.newFixedThreadPool(8)).build();
        try (GatedWorker worker = new GatedWorker(queue, CALLERS)) {
            awaitHealthy(http, port, web);
            URI classify = URI.create("http://" + HOST + ":" + port + "/classify");
            AtomicInteger refusals = new AtomicInteger();
            List<CompletableFuture<String>> calls = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                calls.add(call(http, classify, image, i, refusals));
            }
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                String expected = FakeWorker.labelFor(withSuffix(image, i));
                try {
                    String label = calls.get(i).get(600, TimeUnit.SECONDS);
                    if (!expected.equals(label)) {
                        failures.add("caller " + i + ": got " + label + ", expected " + expected);
                    }
                } catch (Exception e) {
                    failures.add("caller " + i + ": " + e);
                }
            }
            assertTrue(web.isAlive(), "web tier exited: " + tail(webLog));
            long heapMb = webHeapUsedMb(http, managementPort);
            System.out.printf("bounded-memory: %d callers with %d-byte uploads, all waiting at once (max %d), "
                            + "%d deliberate 503s retried, web heap used after the run %d MB (-Xmx256m), %.1f s%n",
                    CALLERS, image.length, worker.maxHeld(), refusals.get(), heapMb,
                    (System.nanoTime() - started) / 1e9);
            assertTrue(failures.isEmpty(), failures.size() + " callers failed, e.g. "
                    + failures.subList(0, Math.min(5, failures.size())) + "; web log tail: " + tail(webLog));
            assertEquals(CALLERS, worker.maxHeld(), "all callers were waiting at once");
        } finally {
            web.destroy();
            web.waitFor(20, TimeUnit.SECONDS);
            web.destroyForcibly();
        }
    }

    /** One caller: POST its image, and after a 503 with Retry-After wait that long (with jitter) and send it again. */
    private static CompletableFuture<String> call(HttpClient http, URI classify, byte[] image, int caller,
                                                  AtomicInteger refusals) {
        return call(http, classify, image, caller, refusals, 0);
    }

    private static CompletableFuture<String> call(HttpClient http, URI classify, byte[] image, int caller,
                                                  AtomicInteger refusals, int attempt) {
        byte[] suffix = suffix(caller);
        String boundary = "----bounded-" + caller;
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"myfile\"; filename=\"caller-"
                + caller + ".png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(classify)
                .timeout(Duration.ofSeconds(600))
                // No Expect: 100-continue: Java 17's client waited forever here when the answer to it was a 503, so
                // each refused caller sends its whole body and the server reads it and throws it away.
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArrays(List.of(head, image, suffix, tail)))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenCompose(response -> {
            if (response.statusCode() == 503 && response.headers().firstValue("Retry-After").isPresent()
                    && response.body().contains("\"status\":503")) {
                refusals.incrementAndGet();
                long seconds = Long.parseLong(response.headers().firstValue("Retry-After").get());
                // Retry-After, plus exponential backoff with full jitter (capped at 8 s), as a client should retry
                long delayMs = seconds * 1000 + ThreadLocalRandom.current().nextLong(1000L << Math.min(attempt, 3));
                return CompletableFuture.supplyAsync(() -> null,
                                CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS))
                        .thenCompose(x -> call(http, classify, image, caller, refusals, attempt + 1));
            }
            if (response.statusCode() != 200) {
                return CompletableFuture.failedFuture(new AssertionError(response.statusCode() + " "
                        + response.headers().map() + " " + response.body()));
            }
            return CompletableFuture.completedFuture(response.body());
        });
    }

    /** Each caller's image is the same PNG with 8 bytes of its own after the end chunk (readers ignore them). */
    private static byte[] suffix(int caller) {
        return String.format("%08d", caller).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] withSuffix(byte[] image, int caller) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(image.length + 8);
        out.writeBytes(image);
        out.writeBytes(suffix(caller));
        return out.toByteArray();
    }

    private static byte[] noisePng(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(42);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /**
     * The web tier as its own JVM with a 256 MB heap, from this module's classes and dependencies (the test class
     * path), pointed at the shared loopback servers and a request queue of this test's own.
     */
    private static Process startWeb(String queue, int port, int managementPort) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                "io.github.elasticimage.web.Application");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.putAll(CLOUD.serviceEnvironment());
        env.put("REQUEST_QUEUE", queue);
        env.put("RESULT_TIMEOUT", "600s");
        env.put("INSTANCE_ID", "bounded-memory");
        if (System.getProperty("bounded.maxUploadMemory") != null) {
            env.put("MAX_UPLOAD_MEMORY", System.getProperty("bounded.maxUploadMemory"));
        }
        env.put("MICRONAUT_SERVER_HOST", HOST);
        env.put("MICRONAUT_SERVER_PORT", Integer.toString(port));
        env.put("MANAGEMENT_PORT", Integer.toString(managementPort));
        return builder.start();
    }

    private static void pump(Process process, ConcurrentLinkedQueue<String> log) {
        Thread pump = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (!line.contains(" INFO ") && !line.contains("MAX_UPLOAD_MEMORY")) {
                        System.out.println("[bounded-memory-web] " + line);
                    }
                    log.add(line);
                    while (log.size() > 200) {
                        log.poll();
                    }
                }
            } catch (IOException e) {
                // process ended
            }
        }, "bounded-memory-web-output");
        pump.setDaemon(true);
        pump.start();
    }

    private static String tail(ConcurrentLinkedQueue<String> log) {
        List<String> lines = new ArrayList<>(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static void awaitHealthy(HttpClient http, int port, Process web) throws Exception {
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + port + "/health"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            assertTrue(web.isAlive(), "web tier exited at start");
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("web tier not healthy within 120 s");
    }

    /** The web JVM's heap in use, from its own metrics (jvm_memory_used_bytes, area heap, summed over pools). */
    private static long webHeapUsedMb(HttpClient http, int managementPort) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + managementPort
                + "/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"[^}]*} (\\S+)$").matcher(metrics);
        double bytes = 0;
        while (m.find()) {
            bytes += Double.parseDouble(m.group(1));
        }
        return (long) (bytes / (1024 * 1024));
    }

    /**
     * A stand-in worker that holds every answer until {@code expected} requests have arrived (so all their callers wait
     * at once), then answers each with {@link FakeWorker#labelFor} of its stored upload, read back from S3.
     */
    private static final class GatedWorker implements AutoCloseable {

        private final String queueUrl;
        private final int expected;
        private final Map<String, ClassificationRequest> held = new ConcurrentHashMap<>();
        private final ExecutorService readers = Executors.newFixedThreadPool(4);
        private final Thread receiver;
        private volatile boolean running = true;
        private volatile int maxHeld;

        GatedWorker(String queue, int expected) {
            this.queueUrl = CLOUD.queueUrl(queue);
            this.expected = expected;
            this.receiver = new Thread(this::run, "gated-worker");
            receiver.setDaemon(true);
            receiver.start();
        }

        int maxHeld() {
            return maxHeld;
        }

        private void run() {
            while (running) {
                try {
                    List<Message> messages = CLOUD.sqs().receiveMessage(b -> b.queueUrl(queueUrl)
                            .maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
                    for (Message message : messages) {
                        ClassificationRequest request = Messages.parseRequest(message.body());
                        held.put(request.id(), request);
                        CLOUD.sqs().deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(message.receiptHandle()));
                    }
                    maxHeld = Math.max(maxHeld, held.size());
                    if (held.size() >= expected) {
                        List<ClassificationRequest> all = List.copyOf(held.values());
                        held.clear();
                        for (ClassificationRequest request : all) {
                            readers.execute(() -> answer(request));
                        }
                    }
                } catch (RuntimeException e) {
                    if (running) {
                        e.printStackTrace();
                    }
                }
            }
        }

        private void answer(ClassificationRequest request) {
            byte[] image = CLOUD.s3().getObjectAsBytes(b -> b.bucket(request.bucket()).key(request.key()))
                    .asByteArray();
            CLOUD.s3().deleteObject(b -> b.bucket(request.bucket()).key(request.key()));
            String json = Messages.toJson(ClassificationResult.done(request.id(),
                    List.of(new Prediction(FakeWorker.labelFor(image), 0.9)), "gated", null));
            CLOUD.sqs().sendMessage(b -> b.queueUrl(request.replyTo()).messageBody(json));
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            receiver.join(5_000);
            readers.shutdown();
            readers.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
