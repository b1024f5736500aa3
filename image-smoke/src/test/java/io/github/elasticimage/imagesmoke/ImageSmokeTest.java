package io.github.elasticimage.imagesmoke;

import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.github.elasticimage.local.StandInInstanceMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Starts the web and classifier images (as loaded into the local Docker engine by {@code make image-smoke}) against
 * the local SQS and S3 servers and classifies a sample through the web container. The containers use host networking,
 * so the servers on 127.0.0.1 are reachable and the services listen on free host ports. Without a Docker engine the
 * test is skipped and says why.
 */
class ImageSmokeTest {

    private static final Logger LOG = LoggerFactory.getLogger(ImageSmokeTest.class);
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final String API_KEY = UUID.randomUUID().toString().replace("-", "");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static GenericContainer<?> web;
    private static GenericContainer<?> classifier;
    private static int webPort;
    private static StandInInstanceMetadata imds;

    @BeforeAll
    static void startContainers() throws Exception {
        boolean docker;
        String reason = "";
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
            reason = e.toString().strip();
        }
        if (!docker) {
            String message = "image-smoke: SKIPPED: no usable Docker engine (DOCKER_HOST="
                    + System.getenv().getOrDefault("DOCKER_HOST", "unset") + ")" + (reason.isEmpty() ? "" : ": " + reason)
                    + "; make image-smoke starts one from Debian's docker.io";
            System.out.println(message);
            if (Boolean.parseBoolean(System.getenv("IMAGE_SMOKE_REQUIRED"))) {
                // CI (.ci/run) sets this: there a missing engine is a failure, not a skip.
                throw new IllegalStateException(message.replace("SKIPPED", "FAILED (IMAGE_SMOKE_REQUIRED=true)"));
            }
            Assumptions.abort(message);
        }
        long started = System.nanoTime();
        LocalAwsServers cloud = SharedLocalAwsServers.get();
        Map<String, String> local = new HashMap<>(cloud.serviceEnvironment());
        // The workers' lifecycle gate (LIFECYCLE_GATE=imds in the user data) asks the instance metadata service; here a
        // stand-in on loopback that says InService, as for an instance the group has put in service.
        imds = StandInInstanceMetadata.start("InService");
        local.put("IMDS_ENDPOINT", imds.url());
        // The web hosts publish the scaling backlog to CloudWatch (SCALING_METRIC_ENABLED=true). No CloudWatch or Auto
        // Scaling is reachable here: both point at a closed loopback port, so the publisher fails at once and the web
        // tier must serve regardless (ScalingMetricPublisherTest checks what it sends, against a recording stand-in).
        String closed = "http://127.0.0.1:" + freePort();
        local.put("AWS_SERVICES_CLOUDWATCH_ENDPOINT_OVERRIDE", closed);
        local.put("AWS_SERVICES_AUTOSCALING_ENDPOINT_OVERRIDE", closed);
        webPort = freePort();
        int healthPort = freePort();
        // Local values for the settings the hosts pass (the deployment's own come from Terraform).
        Map<String, String> values = new HashMap<>(local);
        values.put("RESULT_TIMEOUT", "60s");
        values.put("MAX_PENDING", "100");
        values.put("WORKER_THREADS", "1");
        values.put("INTRA_OP_THREADS", "1");
        values.put("INSTANCE_ID", "smoke-" + UUID.randomUUID().toString().substring(0, 8));
        values.put("SCALING_METRIC_NAMESPACE", "ElasticImageRecognitionSmoke");
        values.put("SCALING_METRIC_INTERVAL", "10s");
        values.put("CLASSIFIER_GROUP_NAME", "smoke-classifier");
        Path terraform = Path.of(System.getProperty("project.root"), "terraform");
        Map<String, String> classifierEnv = hostEnvironment(terraform, "classifier", values, healthPort, local);
        Map<String, String> webEnv = hostEnvironment(terraform, "web", values, webPort, local);

        // As the hosts run them: host networking, the image's own user and entrypoint, the env file's names.
        classifier = new GenericContainer<>(DockerImageName.parse(System.getProperty("image.classifier")))
                .withNetworkMode("host")
                .withEnv(classifierEnv)
                .withLogConsumer(new Slf4jLogConsumer(LoggerFactory.getLogger("classifier-container")));
        web = new GenericContainer<>(DockerImageName.parse(System.getProperty("image.web")))
                .withNetworkMode("host")
                .withEnv(webEnv)
                // The hosts mount the keys read from SSM at API_KEYS_FILE (templates/web.sh.tftpl); here a key of the test's.
                .withCopyToContainer(Transferable.of(API_KEY + "\n", 0444), webEnv.get("API_KEYS_FILE"))
                .withLogConsumer(new Slf4jLogConsumer(LoggerFactory.getLogger("web-container")));
        classifier.start();
        web.start();
        awaitHealthy("classifier", classifier, healthPort);
        awaitHealthy("web", web, webPort);
        LOG.info("image-smoke: both containers healthy {} s after start", (System.nanoTime() - started) / 1_000_000_000);
    }

    @AfterAll
    static void stopContainers() {
        // Web first: it deletes its response queue while the local SQS server is still up.
        if (web != null) {
            web.stop();
        }
        if (classifier != null) {
            classifier.stop();
        }
        if (imds != null) {
            imds.close();
        }
    }

    @Test
    void classifiesTheCoffeeSampleThroughTheWebContainer() throws Exception {
        Path coffee = Path.of(System.getProperty("samples.dir"), "coffee.png");
        HttpResponse<String> response = postImage(coffee, API_KEY);
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("espresso", response.body().strip());
    }

    @Test
    void refusesACallerWithoutTheKeyTheHostMounted() throws Exception {
        Path coffee = Path.of(System.getProperty("samples.dir"), "coffee.png");
        HttpResponse<String> response = postImage(coffee, null);
        assertEquals(401, response.statusCode(), response.body());
    }

    private static HttpResponse<String> postImage(Path image, String apiKey) throws IOException, InterruptedException {
        MultipartForm form = MultipartForm.create().file("myfile", image.getFileName().toString(), "image/png",
                Files.readAllBytes(image));
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webPort + "/classify"))
                .timeout(Duration.ofSeconds(90));
        if (apiKey != null) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        return HTTP.send(form.post(builder).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitHealthy(String name, GenericContainer<?> container, int port) {
        await(name + " /health").atMost(READY_TIMEOUT).pollInterval(Duration.ofSeconds(1))
                .failFast(name + " container exited", () -> !container.isRunning())
                .ignoreExceptions()
                .until(() -> HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode() == 200);
    }

    /** The tier's host settings (user-data names, local values, its port) plus the loopback endpoints. */
    private static Map<String, String> hostEnvironment(Path terraform, String tier, Map<String, String> values, int port,
            Map<String, String> local) {
        Map<String, String> withPort = new HashMap<>(values);
        withPort.put("PORT", Integer.toString(port));
        Map<String, String> env = new LinkedHashMap<>(HostEnvironment.forTier(terraform, tier, withPort));
        LOG.info("image-smoke: {} container gets the user data's settings {}", tier, env.keySet());
        env.putAll(HostEnvironment.localEndpoints(local));
        return env;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
