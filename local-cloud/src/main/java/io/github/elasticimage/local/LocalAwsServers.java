package io.github.elasticimage.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The local stand-in for the cloud: an SQS server and an S3 server on loopback, with the queues and buckets the
 * services expect. Used by {@code make run} and, once per test JVM, by the integration tests.
 */
public final class LocalAwsServers implements AutoCloseable {

    /** Region name the local servers and clients agree on. */
    public static final String REGION = "us-east-1";
    /** Dummy credentials: the local servers do not check signatures. Never used against AWS. */
    public static final String DUMMY_CREDENTIAL = "local";

    private static final Logger LOG = LoggerFactory.getLogger(LocalAwsServers.class);

    private final EmbeddedSqs sqsServer;
    private final EmbeddedS3 s3Server;
    private final LocalResources resources;
    private final SqsClient sqs;
    private final S3Client s3;

    private LocalAwsServers(EmbeddedSqs sqsServer, EmbeddedS3 s3Server, LocalResources resources) {
        this.sqsServer = sqsServer;
        this.s3Server = s3Server;
        this.resources = resources;
        this.sqs = SqsClient.builder()
                .endpointOverride(sqsServer.endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(credentials())
                .httpClient(Apache5HttpClient.create())
                .build();
        this.s3 = S3Client.builder()
                .endpointOverride(s3Server.endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(credentials())
                .forcePathStyle(true)
                .httpClient(Apache5HttpClient.create())
                .build();
    }

    /**
     * Starts both servers on the given ports (0 picks a free port) and creates the queues and buckets; SQS keeps its
     * queues in memory (a restart starts empty).
     */
    public static LocalAwsServers start(String host, int sqsPort, int s3Port, Path s3DataDir,
                                        LocalResources resources) {
        return start(host, sqsPort, s3Port, s3DataDir, null, resources);
    }

    /**
     * Starts both servers on the given ports (0 picks a free port) and creates the queues and buckets that are
     * missing (the queues' configured attributes are set on those that exist).
     *
     * @param sqsDataDir folder of SQS's database: queues and messages outlive a restart and the process (see
     *                   {@link EmbeddedSqs}); null keeps them in memory
     */
    public static LocalAwsServers start(String host, int sqsPort, int s3Port, Path s3DataDir, Path sqsDataDir,
                                        LocalResources resources) {
        long started = System.nanoTime();
        EmbeddedSqs sqsServer = EmbeddedSqs.start(host, sqsPort == 0 ? freePort(host) : sqsPort, sqsDataDir);
        EmbeddedS3 s3Server;
        try {
            s3Server = EmbeddedS3.start(host, s3Port == 0 ? freePort(host) : s3Port, s3DataDir);
        } catch (RuntimeException | Error e) {
            sqsServer.close();
            throw e;
        }
        LocalAwsServers cloud = new LocalAwsServers(sqsServer, s3Server, resources);
        try {
            cloud.createResources();
        } catch (RuntimeException e) {
            cloud.close();
            throw e;
        }
        LOG.info("local cloud up in {} ms: SQS {} ({}) S3 {} (data in {})", (System.nanoTime() - started) / 1_000_000,
                sqsServer.endpoint(), sqsDataDir == null ? "in memory" : "data in " + sqsDataDir.toAbsolutePath(),
                s3Server.endpoint(), s3DataDir.toAbsolutePath());
        return cloud;
    }

    private void createResources() {
        createQueues();
        createBuckets();
    }

    /**
     * The request queue and its dead-letter queue with the configured attributes: created when missing, set when they
     * exist (restored from a data folder, where an earlier run may have had other settings).
     */
    private void createQueues() {
        String dlqUrl = ensureQueue(resources.deadLetterQueue(), Map.of());
        String dlqArn = sqs.getQueueAttributes(b -> b.queueUrl(dlqUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        String redrive = "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":\""
                + resources.maxReceiveCount() + "\"}";
        ensureQueue(resources.requestQueue(), Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(resources.visibilityTimeoutS()),
                QueueAttributeName.REDRIVE_POLICY, redrive));
    }

    private String ensureQueue(String name, Map<QueueAttributeName, String> attributes) {
        String url;
        try {
            url = sqs.getQueueUrl(b -> b.queueName(name)).queueUrl();
        } catch (QueueDoesNotExistException e) {
            return sqs.createQueue(b -> b.queueName(name).attributes(attributes)).queueUrl();
        }
        if (!attributes.isEmpty()) {
            sqs.setQueueAttributes(b -> b.queueUrl(url).attributes(attributes));
        }
        return url;
    }

    private void createBuckets() {
        for (String bucket : new String[] {resources.inputBucket(), resources.outputBucket()}) {
            boolean exists = s3.listBuckets().buckets().stream().anyMatch(x -> x.name().equals(bucket));
            if (!exists) {
                s3.createBucket(b -> b.bucket(bucket));
            }
        }
    }

    /** Environment that points a service process at this local cloud (the names in docs/configuration.md). */
    public Map<String, String> serviceEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MICRONAUT_ENVIRONMENTS", "local");
        env.put("AWS_REGION", REGION);
        env.put("SQS_ENDPOINT", sqsServer.endpoint().toString());
        env.put("S3_ENDPOINT", s3Server.endpoint().toString());
        env.put("REQUEST_QUEUE", resources.requestQueue());
        env.put("DEAD_LETTER_QUEUE", resources.deadLetterQueue());
        env.put("INPUT_BUCKET", resources.inputBucket());
        env.put("OUTPUT_BUCKET", resources.outputBucket());
        env.put("RESPONSE_QUEUE_PREFIX", resources.responseQueuePrefix());
        return env;
    }

    /** The same settings as Micronaut property names, for in-JVM tests ({@code @MicronautTest} property providers). */
    public Map<String, String> serviceProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("aws.region", REGION);
        props.put("aws.access-key-id", DUMMY_CREDENTIAL);
        props.put("aws.secret-key", DUMMY_CREDENTIAL);
        props.put("aws.services.sqs.endpoint-override", sqsServer.endpoint().toString());
        props.put("aws.services.s3.endpoint-override", s3Server.endpoint().toString());
        props.put("app.s3.force-path-style", "true");
        props.put("app.resources.request-queue", resources.requestQueue());
        props.put("app.resources.dead-letter-queue", resources.deadLetterQueue());
        props.put("app.resources.input-bucket", resources.inputBucket());
        props.put("app.resources.output-bucket", resources.outputBucket());
        props.put("app.resources.response-queue-prefix", resources.responseQueuePrefix());
        return props;
    }

    public SqsClient sqs() {
        return sqs;
    }

    public S3Client s3() {
        return s3;
    }

    public LocalResources resources() {
        return resources;
    }

    public String queueUrl(String name) {
        return sqs.getQueueUrl(b -> b.queueName(name)).queueUrl();
    }

    public java.net.URI sqsEndpoint() {
        return sqsServer.endpoint();
    }

    public java.net.URI s3Endpoint() {
        return s3Server.endpoint();
    }

    /** Stops the SQS server (chaos tests): clients get connection errors until {@link #restartSqs()}. */
    public void stopSqs() {
        sqsServer.stop();
        LOG.warn("SQS server {} stopped", sqsServer.endpoint());
    }

    /**
     * Starts the SQS server again on the same port. Persistent ({@link #sqsPersistent()}): every queue and message is
     * back, the queues with the attributes they had (an outage, not a new configuration). In memory: everything that was queued is gone; the request and dead-letter queues are created again, and
     * each web instance must create its own response queue again.
     */
    public void restartSqs() {
        long started = System.nanoTime();
        sqsServer.restart();
        if (!sqsPersistent()) {
            createQueues();
        }
        LOG.warn("SQS server {} restarted in {} ms, {}", sqsServer.endpoint(), (System.nanoTime() - started) / 1_000_000,
                sqsPersistent() ? "queues and messages restored" : "empty, queues created again");
    }

    /** Whether SQS keeps its queues and messages across a restart (a data folder) or in memory only. */
    public boolean sqsPersistent() {
        return sqsServer.dataDir() != null;
    }

    /** Stops the S3 server (chaos tests): clients get connection errors until {@link #restartS3()}. */
    public void stopS3() {
        s3Server.stop();
        LOG.warn("S3 server {} stopped", s3Server.endpoint());
    }

    /** Starts the S3 server again on the same port and data folder: buckets and objects are still there. */
    public void restartS3() {
        s3Server.restart();
        createBuckets();
        LOG.warn("S3 server {} restarted", s3Server.endpoint());
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(DUMMY_CREDENTIAL, DUMMY_CREDENTIAL));
    }

    /**
     * A free TCP port on the given interface for a server to bind later, chosen below the kernel's ephemeral range.
     * A port the kernel hands out itself (bind to 0, then close) is an ephemeral one: between the check and the
     * server's bind the kernel may give it to an outgoing connection (a test making thousands of them does), and the
     * server then fails with "port already in use". Below that range only listeners take ports, and each port is
     * handed out once per JVM.
     */
    public static int freePort(String host) {
        return FreePorts.next(host);
    }

    @Override
    public void close() {
        sqs.close();
        s3.close();
        try {
            s3Server.close();
        } finally {
            sqsServer.close();
        }
    }
}
