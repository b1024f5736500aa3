package io.github.elasticimage.loadtest.aws;

import com.sun.net.httpserver.HttpServer;
import io.github.elasticimage.scaling.ScalingPoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AWS sampler signs and sends its Auto Scaling and SQS calls for the region it is given ({@code --region}), not the
 * SDK's default: a loopback server answers both APIs as AWS does and records the SigV4 credential scope of each call.
 */
class AwsScalingSourceTest {

    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTESTONLY", "test-secret"));
    private static final String QUEUE_URL = "https://sqs.eu-west-3.amazonaws.com/123456789012/image-recognition-requests";

    private HttpServer server;
    /** API ("autoscaling" / "sqs") to the Authorization header of its last call. */
    private final Map<String, String> authorization = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            String answer;
            String type;
            if (target != null && target.equals("AmazonSQS.GetQueueAttributes")) {
                authorization.put("sqs", exchange.getRequestHeaders().getFirst("Authorization"));
                type = "application/x-amz-json-1.0";
                answer = body.contains(QUEUE_URL)
                        ? "{\"Attributes\":{\"ApproximateNumberOfMessages\":\"7\","
                                + "\"ApproximateNumberOfMessagesNotVisible\":\"3\"}}"
                        : "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"no such queue\"}";
            } else if (body.contains("Action=DescribeAutoScalingGroups")) {
                authorization.put("autoscaling", exchange.getRequestHeaders().getFirst("Authorization"));
                type = "text/xml";
                answer = """
                        <DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
                          <DescribeAutoScalingGroupsResult><AutoScalingGroups><member>
                            <AutoScalingGroupName>image-recognition-classifier</AutoScalingGroupName>
                            <DesiredCapacity>4</DesiredCapacity>
                            <Instances>
                              <member><InstanceId>i-0a</InstanceId><LifecycleState>InService</LifecycleState></member>
                              <member><InstanceId>i-0b</InstanceId><LifecycleState>InService</LifecycleState></member>
                              <member><InstanceId>i-0c</InstanceId><LifecycleState>Pending</LifecycleState></member>
                            </Instances>
                          </member></AutoScalingGroups></DescribeAutoScalingGroupsResult>
                          <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
                        </DescribeAutoScalingGroupsResponse>
                        """;
            } else {
                type = "text/plain";
                answer = "unexpected call";
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(type.equals("text/plain") ? 400 : 200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Test
    void bothClientsSignForTheGivenRegionAndReadGroupAndQueue() {
        try (AwsScalingSource source = new AwsScalingSource("image-recognition-classifier", QUEUE_URL,
                Region.EU_WEST_3, CREDENTIALS, endpoint())) {
            List<ScalingPoint> points = source.sample();

            assertEquals(1, points.size());
            ScalingPoint point = points.get(0);
            assertEquals(7, point.visible());
            assertEquals(3, point.inFlight());
            assertEquals(4, point.desired());
            assertEquals(2, point.running());
            assertTrue(authorization.get("autoscaling").contains("/eu-west-3/autoscaling/aws4_request"),
                    authorization.get("autoscaling"));
            assertTrue(authorization.get("sqs").contains("/eu-west-3/sqs/aws4_request"), authorization.get("sqs"));
            assertEquals(Region.EU_WEST_3, source.region());
            assertTrue(source.describe().contains("eu-west-3"), source.describe());
        }
    }

    @Test
    void anotherRegionIsSignedAsThatRegion() {
        try (AwsScalingSource source = new AwsScalingSource(null, QUEUE_URL, Region.AP_SOUTHEAST_2, CREDENTIALS,
                endpoint())) {
            source.sample();

            assertTrue(authorization.get("sqs").contains("/ap-southeast-2/sqs/aws4_request"), authorization.get("sqs"));
            assertEquals(null, authorization.get("autoscaling"), "no group named: no Auto Scaling call");
        }
    }
}
