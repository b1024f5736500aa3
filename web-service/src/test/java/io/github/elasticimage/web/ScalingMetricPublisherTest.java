package io.github.elasticimage.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.sun.net.httpserver.HttpServer;
import io.github.elasticimage.web.config.ScalingMetricProperties;
import io.github.elasticimage.web.metrics.ScalingMetricPublisher;
import io.micronaut.context.exceptions.ConfigurationException;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scaling-metric publisher against a real SQS server (ElasticMQ) on loopback and a recording stand-in for
 * CloudWatch and Auto Scaling: the stand-in answers PutMetricData (Smithy RPC v2 CBOR, the SDK's protocol) and
 * DescribeAutoScalingGroups (query protocol, XML) as AWS does, and keeps every PutMetricData request for the checks:
 * namespace and metric names of scaling-policy.json's metric.primary, one-second storage resolution, the queue's own
 * counts, no instance dimension, and the publishing interval. Real CloudWatch is not reachable here: whether the
 * alarms act on these datapoints is not tested (terraform/tests/scaling.tftest.hcl checks the alarms' definition).
 */
class ScalingMetricPublisherTest extends WebTierTest {

    private static final String GROUP = "image-recognition-classifier";
    private static final int DESIRED = 4;
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final JsonNode PRIMARY = policyPrimary();

    /** A request queue of its own: the messages this test leaves would reach other tests' workers. */
    private static final String QUEUE = CLOUD.resources().requestQueue() + "-scaling-metric-test";

    private final RecordingStandIn standIn = new RecordingStandIn();
    private final String queueUrl = CLOUD.sqs().createQueue(b -> b.queueName(QUEUE)).queueUrl();

    @Inject
    ScalingMetricPublisher publisher;

    ScalingMetricPublisherTest() throws IOException {
    }

    @Override
    protected void configure(Map<String, String> properties) {
        properties.put("app.resources.request-queue", QUEUE);
        properties.put("app.scaling-metric.enabled", "true");
        properties.put("app.scaling-metric.namespace", PRIMARY.get("namespace").asText());
        properties.put("app.scaling-metric.interval", INTERVAL.toSeconds() + "s");
        properties.put("app.scaling-metric.classifier-group", GROUP);
        properties.put("aws.services.cloudwatch.endpoint-override", standIn.url());
        properties.put("aws.services.autoscaling.endpoint-override", standIn.url());
    }

    @AfterAll
    void stop() {
        standIn.close();
        CLOUD.sqs().deleteQueue(b -> b.queueUrl(queueUrl));
        System.out.println("ScalingMetricPublisherTest: real CloudWatch is not reachable here; the PutMetricData "
                + "requests went to a recording stand-in on loopback (" + standIn.requests.size() + " recorded).");
    }

    @Test
    void theMetricNamesAreThoseOfThePolicyFile() {
        assertEquals(PRIMARY.get("backlog").asText(), ScalingMetricPublisher.BACKLOG);
        assertEquals(PRIMARY.get("visible").asText(), ScalingMetricPublisher.VISIBLE);
        assertEquals(PRIMARY.get("desiredCapacity").asText(), ScalingMetricPublisher.DESIRED_CAPACITY);
    }

    @Test
    void publishesTheQueuesCountsWithOneSecondResolutionAndNoInstanceDimension() {
        String queue = QUEUE;
        String url = queueUrl;
        for (int i = 0; i < 5; i++) {
            int n = i;
            CLOUD.sqs().sendMessage(b -> b.queueUrl(url).messageBody("{\"test\":" + n + "}"));
        }
        // Two in flight (received, not deleted), three visible.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            CLOUD.sqs().receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(1).visibilityTimeout(120));
            return inFlight(url) >= 2;
        });
        long visible = count(url, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES);
        long inFlight = inFlight(url);
        assertEquals(3, visible);
        assertEquals(2, inFlight);

        // Wait out QueueDepths' one-second reuse, then one sample, and find its request.
        await().pollDelay(Duration.ofMillis(1100)).until(() -> true);
        ScalingMetricPublisher.Sample sample = publisher.publish();
        assertEquals(new ScalingMetricPublisher.Sample(sample.at(), 5, 3, DESIRED), sample);

        JsonNode request = standIn.requests.stream()
                .filter(r -> timestampOf(r.body.get("MetricData").get(0)).equals(sample.at()))
                .findFirst().orElseThrow(() -> new AssertionError("no PutMetricData with the sample's timestamp"))
                .body;
        assertEquals(PRIMARY.get("namespace").asText(), request.get("Namespace").asText());
        Map<String, JsonNode> byName = new HashMap<>();
        request.get("MetricData").forEach(d -> byName.put(d.get("MetricName").asText(), d));
        assertEquals(Stream.of(PRIMARY.get("backlog").asText(), PRIMARY.get("desiredCapacity").asText(),
                PRIMARY.get("visible").asText()).sorted().toList(), byName.keySet().stream().sorted().toList());
        assertDatum(byName.get(PRIMARY.get("backlog").asText()), visible + inFlight, "QueueName", queue, sample.at());
        assertDatum(byName.get(PRIMARY.get("visible").asText()), visible, "QueueName", queue, sample.at());
        assertDatum(byName.get(PRIMARY.get("desiredCapacity").asText()), DESIRED, "AutoScalingGroupName", GROUP,
                sample.at());
    }

    @Test
    void refusesToStartWithoutNamespaceOrGroup() {
        var noNamespace = new ScalingMetricProperties(true, " ", INTERVAL, GROUP);
        var e = assertThrows(ConfigurationException.class, () -> new ScalingMetricPublisher(null, null, null,
                noNamespace));
        assertTrue(e.getMessage().contains("SCALING_METRIC_NAMESPACE is empty"), e.getMessage());
        var noGroup = new ScalingMetricProperties(true, "Namespace", INTERVAL, null);
        e = assertThrows(ConfigurationException.class, () -> new ScalingMetricPublisher(null, null, null, noGroup));
        assertTrue(e.getMessage().contains("CLASSIFIER_GROUP_NAME is empty"), e.getMessage());
    }

    @Test
    void publishesEveryIntervalOnItsOwn() {
        int from = standIn.requests.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> standIn.requests.size() >= from + 5);
        List<Recorded> scheduled = new ArrayList<>(standIn.requests.subList(from, from + 5));
        List<Double> gaps = new ArrayList<>();
        for (int i = 1; i < scheduled.size(); i++) {
            gaps.add(Duration.between(timestampOf(scheduled.get(i - 1).body.get("MetricData").get(0)),
                    timestampOf(scheduled.get(i).body.get("MetricData").get(0))).toMillis() / 1000.0);
            assertTrue(scheduled.get(i).path.endsWith("/operation/PutMetricData"), scheduled.get(i).path);
        }
        List<Double> sorted = gaps.stream().sorted().toList();
        double median = (sorted.get(1) + sorted.get(2)) / 2;
        System.out.printf("ScalingMetricPublisherTest: gaps between samples %s s, median %.2f s (interval %d s)%n",
                gaps, median, INTERVAL.toSeconds());
        // A fixed rate: the samples keep to the interval (a stall of a loaded machine moves at most the two gaps
        // around it, hence the median) and never come within half an interval of each other (no catch-up burst).
        double interval = INTERVAL.toSeconds();
        assertTrue(median >= interval * 0.9 && median <= interval * 1.1, "median gap " + median + " s");
        assertTrue(sorted.get(0) >= interval * 0.5, "gaps " + gaps);
    }

    private static void assertDatum(JsonNode datum, long value, String dimension, String dimensionValue, Instant at) {
        assertEquals(1, datum.get("StorageResolution").asInt(), datum.toString());
        assertEquals(value, datum.get("Value").asDouble(), 0.0, datum.toString());
        assertEquals("Count", datum.get("Unit").asText(), datum.toString());
        assertEquals(1, datum.get("Dimensions").size(), "no instance dimension: " + datum);
        assertEquals(dimension, datum.get("Dimensions").get(0).get("Name").asText(), datum.toString());
        assertEquals(dimensionValue, datum.get("Dimensions").get(0).get("Value").asText(), datum.toString());
        assertEquals(at, timestampOf(datum));
    }

    /** CBOR carries the timestamp as epoch seconds (tag 1), with milliseconds as the fraction. */
    private static Instant timestampOf(JsonNode datum) {
        return Instant.ofEpochMilli(Math.round(datum.get("Timestamp").asDouble() * 1000));
    }

    private static long inFlight(String url) {
        return count(url, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
    }

    private static long count(String url, QueueAttributeName name) {
        return Long.parseLong(CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(url).attributeNames(name))
                .attributes().get(name));
    }

    private static JsonNode policyPrimary() {
        Path file = Path.of(System.getProperty("project.root", ".."), "scaling-policy.json");
        try {
            return new ObjectMapper().readTree(Files.readAllBytes(file)).get("metric").get("primary");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    private record Recorded(String path, JsonNode body) {
    }

    /** CloudWatch's PutMetricData and Auto Scaling's DescribeAutoScalingGroups on loopback, recording the former. */
    private static final class RecordingStandIn implements AutoCloseable {

        private static final CBORMapper CBOR = new CBORMapper();
        final List<Recorded> requests = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        RecordingStandIn() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                byte[] body = exchange.getRequestBody().readAllBytes();
                String path = exchange.getRequestURI().getPath();
                String type;
                byte[] answer;
                int status = 200;
                if (path.endsWith("/operation/PutMetricData")) {
                    requests.add(new Recorded(path, CBOR.readTree(body)));
                    type = "application/cbor";
                    exchange.getResponseHeaders().set("smithy-protocol", "rpc-v2-cbor");
                    answer = CBOR.writeValueAsBytes(Map.of());
                } else if (new String(body, StandardCharsets.UTF_8).contains("Action=DescribeAutoScalingGroups")) {
                    type = "text/xml";
                    answer = ("""
                            <DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
                              <DescribeAutoScalingGroupsResult><AutoScalingGroups><member>
                                <AutoScalingGroupName>%s</AutoScalingGroupName>
                                <DesiredCapacity>%d</DesiredCapacity>
                              </member></AutoScalingGroups></DescribeAutoScalingGroupsResult>
                              <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
                            </DescribeAutoScalingGroupsResponse>
                            """).formatted(GROUP, DESIRED).getBytes(StandardCharsets.UTF_8);
                } else {
                    type = "text/plain";
                    status = 400;
                    answer = ("unexpected call " + path).getBytes(StandardCharsets.UTF_8);
                }
                exchange.getResponseHeaders().set("Content-Type", type);
                exchange.sendResponseHeaders(status, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
