package io.github.elasticimage.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.elasticimage.e2e.ServiceJars;
import io.github.elasticimage.e2e.WorkerJobLog;
import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.LocalResources;
import io.github.elasticimage.local.LocalSystem;
import io.github.elasticimage.local.ServiceProcess;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The chaos tests' own system, once per test JVM: a {@link LocalAwsServers} on free loopback ports (not the shared
 * one, since these tests stop its servers and change its queue), its SQS persistent as in {@code make run}, whose request queue has a 5 s visibility timeout so a
 * killed worker's requests come back quickly; a web tier with a long {@code RESULT_TIMEOUT} (a 100-request burst on a
 * shared 2-core machine) and two classifier workers, each its own JVM from this checkout's jars. It records every
 * worker's {@code job id=... total_ms=...} line, and the label each test image gets when it is classified alone.
 */
final class ChaosStack {

    static final String HOST = "127.0.0.1";
    static final int VISIBILITY_TIMEOUT_S = 5;
    static final String RESULT_TIMEOUT = "170s";
    static final String WEB_INSTANCE = "chaos-web";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static ChaosStack instance;

    final LocalAwsServers cloud;
    final LocalSystem stack;
    final Path webJar;
    /** Every finished job the workers logged: worker, request id, queue_wait_ms, total_ms. */
    static final WorkerJobLog JOBS = new WorkerJobLog(System.out);
    /** Test images (samples and a few ImageNet photos) and the label each gets when classified alone. */
    final Map<Path, String> expected = new LinkedHashMap<>();
    /** The full answer of each reference classification (its id's result document is in the output bucket). */
    final Map<Path, JsonNode> reference = new LinkedHashMap<>();

    private ChaosStack(LocalAwsServers cloud, LocalSystem stack, Path webJar) {
        this.cloud = cloud;
        this.stack = stack;
        this.webJar = webJar;
    }

    static synchronized ChaosStack get() throws Exception {
        if (instance == null) {
            Path webJar = ServiceJars.web();
            Path classifierJar = ServiceJars.classifier();
            // SQS persistent like make run's (and SQS): an outage keeps every queued request and answer.
            LocalAwsServers cloud = LocalAwsServers.start(HOST, 0, 0, Files.createTempDirectory("chaos-s3"),
                    Files.createTempDirectory("chaos-sqs"), new LocalResources("chaos-requests", "chaos-requests-dlq", "chaos-input", "chaos-output",
                            "chaos-responses", VISIBILITY_TIMEOUT_S, 3));
            LocalSystem stack;
            try {
                LocalSystem.Settings settings = new LocalSystem.Settings(HOST, LocalAwsServers.freePort(HOST), webJar,
                        classifierJar, LocalSystem.WEB_JVM_ARGS, LocalSystem.WORKER_JVM_ARGS, Map.of(),
                        Map.of("RESULT_TIMEOUT", RESULT_TIMEOUT, "INSTANCE_ID", WEB_INSTANCE));
                stack = LocalSystem.start(cloud, settings, 2, JOBS.printStream());
            } catch (RuntimeException e) {
                cloud.close();
                throw e;
            }
            ChaosStack chaos = new ChaosStack(cloud, stack, webJar);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stack.close();
                cloud.close();
            }, "chaos-stack-stop"));
            instance = chaos;
            chaos.classifyReferences();
        }
        return instance;
    }

    /** Classifies each distinct test image once, alone: the label it must get under any fault. */
    private void classifyReferences() throws Exception {
        Path samples = Path.of(System.getProperty("samples.dir", "../samples"));
        Path fixtures = Path.of(System.getProperty("shared.dir", "../../shared"), "fixtures", "imagenet-sample");
        List<Path> images = new ArrayList<>();
        for (String name : List.of("coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg")) {
            images.add(samples.resolve(name));
        }
        if (Files.isDirectory(fixtures)) {
            try (Stream<Path> files = Files.list(fixtures)) {
                files.filter(Files::isRegularFile).sorted().limit(4).forEach(images::add);
            }
        }
        for (Path image : images) {
            HttpResponse<String> response = classify(stack.webUrl(), image, Duration.ofSeconds(120)).get();
            if (response.statusCode() != 200) {
                throw new IllegalStateException("reference classification of " + image + " failed: "
                        + response.statusCode() + " " + response.body());
            }
            JsonNode body = JSON.readTree(response.body());
            expected.put(image, body.path("label").asText());
            reference.put(image, body);
        }
        System.out.println("chaos reference labels: " + expected);
    }

    List<Path> images() {
        return List.copyOf(expected.keySet());
    }

    /** Makes sure at least {@code n} live workers poll the queue (replacing killed ones), waiting for their boot. */
    void ensureWorkers(int n) throws InterruptedException {
        if (stack.readyWorkers() >= n) {
            return;
        }
        stack.requestWorkers(n);
        await(() -> stack.readyWorkers() >= n && stack.bootingWorkers() == 0, Duration.ofSeconds(150),
                n + " workers ready");
    }

    String requestQueueUrl() {
        return cloud.queueUrl(cloud.resources().requestQueue());
    }

    void setRequestQueueAttribute(QueueAttributeName name, String value) {
        cloud.sqs().setQueueAttributes(b -> b.queueUrl(requestQueueUrl()).attributes(Map.of(name, value)));
    }

    long queueCount(String queue, QueueAttributeName attribute) {
        String url = cloud.queueUrl(queue);
        return Long.parseLong(cloud.sqs().getQueueAttributes(b -> b.queueUrl(url).attributeNames(attribute))
                .attributes().get(attribute));
    }

    /** Starts another web tier process against the same cloud, with extra environment (e.g. its own timeout). */
    ServiceProcess startWeb(String name, Map<String, String> extraEnv) {
        return startWeb(name, extraEnv, System.out);
    }

    /** A web tier of its own whose output goes to {@code out} (a test that reads its log). */
    ServiceProcess startWeb(String name, Map<String, String> extraEnv, java.io.PrintStream out) {
        Map<String, String> env = new LinkedHashMap<>(cloud.serviceEnvironment());
        env.putAll(extraEnv);
        ServiceProcess web = ServiceProcess.start(name, webJar, LocalSystem.WEB_JVM_ARGS, env, HOST,
                LocalAwsServers.freePort(HOST), out);
        try {
            web.awaitHealthy(Duration.ofSeconds(120));
        } catch (RuntimeException e) {
            web.stop(Duration.ofSeconds(10));
            throw e;
        }
        return web;
    }

    /** POST /classify with the image as field {@code myfile}, asking for JSON. */
    static CompletableFuture<HttpResponse<String>> classify(URI web, Path image, Duration timeout) {
        try {
            HttpRequest request = MultipartForm.create()
                    .file("myfile", image.getFileName().toString(), "application/octet-stream",
                            Files.readAllBytes(image))
                    .post(HttpRequest.newBuilder(URI.create(web + "/classify"))
                            .timeout(timeout)
                            .header("Accept", "application/json"))
                    .build();
            return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + timeout);
            }
            Thread.sleep(100);
        }
    }
}
