package io.github.elasticimage.classifier.lifecycle;

import io.github.elasticimage.contract.ClassificationRequest;
import io.github.elasticimage.contract.ClassificationResult;
import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.github.elasticimage.local.StandInInstanceMetadata;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifecycle gate end to end: a worker (real model) with {@code LIFECYCLE_GATE=imds} against the real local request
 * queue and a stand-in instance metadata service on loopback (an HTTP server speaking IMDSv2: token by PUT, the state by
 * GET with that token, 401 without it). While the state is {@code Warmed:*} the requests stay on the queue untouched;
 * InService, they are answered; Warmed:Stopped or Terminated again, no new request is taken.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LifecycleGateTest implements TestPropertyProvider {

    private static final LocalAwsServers CLOUD = SharedLocalAwsServers.get();
    /** The gate reads the state this often; the worker long-polls for 1 s, so a closed gate is seen within ~1.2 s. */
    private static final Duration POLL = Duration.ofMillis(200);
    /** "Several poll periods" of the gate and of the worker's receive loop. */
    private static final Duration UNTOUCHED_FOR = Duration.ofSeconds(4);
    private static final String REQUEST_QUEUE = "gate-test-requests";

    private final StandInInstanceMetadata imds = StandInInstanceMetadata.start("Warmed:Running");
    private final String replyQueue = CLOUD.sqs().createQueue(b -> b.queueName(
            CLOUD.resources().responseQueuePrefix() + "-gate-test")).queueUrl();
    /**
     * Its own request queue: a worker of an earlier test class in this JVM can still be in its last long poll (up to
     * 20 s after its context closed), which would receive and release this test's requests.
     */
    private final String requestQueue = CLOUD.sqs().createQueue(b -> b.queueName(REQUEST_QUEUE)).queueUrl();
    private final HttpClient http = HttpClient.newHttpClient();

    @Inject
    EmbeddedServer server;
    @Inject
    MeterRegistry registry;
    @Inject
    JsonMapper json;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = new HashMap<>(CLOUD.serviceProperties());
        p.put("app.lifecycle-gate.mode", "imds");
        p.put("app.lifecycle-gate.imds-endpoint", imds.url());
        p.put("app.lifecycle-gate.poll-interval", POLL.toMillis() + "ms");
        p.put("app.resources.request-queue", REQUEST_QUEUE);
        p.put("app.worker.wait-seconds", "1");
        p.put("micronaut.server.port", "-1"); // any free port: /health is read through the embedded server
        return p;
    }

    @AfterAll
    void stopStandIn() {
        imds.close();
    }

    @Test
    void takesRequestsOnlyWhileInService() throws Exception {
        // Warm pool: the worker is up (model loaded, /health UP) but its gate is closed.
        await().atMost(Duration.ofSeconds(10)).until(() -> imds.stateReads() >= 2);
        assertEquals(0.0, gateMetric());
        Map<String, Object> gate = healthOfGate();
        assertEquals(false, gate.get("open"));
        assertEquals("Warmed:Running", gate.get("state"));
        assertEquals(0, gate.get("jobsInFlight"));
        assertTrue(imds.tokens() >= 1 && imds.refusedWithoutToken() == 0, "IMDSv2: a token before every read");

        List<String> warmIds = List.of(submit("coffee.png"), submit("chelsea.png"));
        assertUntouched(2);
        Set<String> seen = peekFirstReceive(false);
        assertEquals(new HashSet<>(warmIds), seen);

        // Leaving the pool: InService opens the gate and the requests are answered.
        imds.state("InService");
        Map<String, ClassificationResult> answers = answersFor(warmIds);
        assertEquals("espresso", answers.get(warmIds.get(0)).label());
        assertEquals("Egyptian Mau", answers.get(warmIds.get(1)).label());
        assertEquals(1.0, gateMetric());
        assertEquals(true, healthOfGate().get("open"));
        await().atMost(Duration.ofSeconds(10)).until(() -> depth() == 0);

        // Back into the pool, then terminating: no new request is taken.
        for (String state : List.of("Warmed:Stopped", "Terminated")) {
            imds.state(state);
            await().atMost(Duration.ofSeconds(5)).until(() -> state.equals(healthOfGate().get("state")));
            assertEquals(0.0, gateMetric());
            assertEquals(false, healthOfGate().get("open"));
            // Drained: what the launch script waits for before the instance goes back into the pool.
            assertEquals(0, healthOfGate().get("jobsInFlight"));
            // A long poll that began while the gate was open ends within its 1 s wait (anything it brings back is
            // released at once); wait that out before sending, so the check below is about the closed gate only.
            await().pollDelay(Duration.ofMillis(1_500)).until(() -> true);
            String id = submit("coffee.png");
            assertUntouched(1);
            assertEquals(Set.of(id), peekFirstReceive(true), state);
        }
    }

    /** For {@link #UNTOUCHED_FOR}: {@code n} requests visible, none in flight, the gate closed. */
    private void assertUntouched(int n) {
        await().during(UNTOUCHED_FOR).atMost(UNTOUCHED_FOR.plusSeconds(3)).pollInterval(POLL)
                .until(() -> visible() == n && inFlight() == 0 && gateMetric() == 0.0);
    }

    /** Receives what is on the request queue, checks this is each message's first receive, then puts it back or deletes it. */
    private Set<String> peekFirstReceive(boolean delete) {
        Set<String> ids = new HashSet<>();
        for (Message m : CLOUD.sqs().receiveMessage(b -> b.queueUrl(requestQueue).maxNumberOfMessages(10)
                .waitTimeSeconds(1).messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT))
                .messages()) {
            assertEquals("1", m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT),
                    "the worker never received " + m.body());
            ids.add(Messages.parseRequest(m.body()).id());
            if (delete) {
                CLOUD.sqs().deleteMessage(b -> b.queueUrl(requestQueue).receiptHandle(m.receiptHandle()));
            } else {
                CLOUD.sqs().changeMessageVisibility(b -> b.queueUrl(requestQueue).receiptHandle(m.receiptHandle())
                        .visibilityTimeout(0));
            }
        }
        return ids;
    }

    private String submit(String sample) throws IOException {
        Path image = Path.of(System.getProperty("samples.dir"), sample);
        String id = UUID.randomUUID().toString();
        String key = Messages.uploadKey(id);
        CLOUD.s3().putObject(b -> b.bucket(CLOUD.resources().inputBucket()).key(key),
                RequestBody.fromBytes(Files.readAllBytes(image)));
        String body = Messages.toJson(ClassificationRequest.of(id, CLOUD.resources().inputBucket(), key, sample,
                replyQueue, System.currentTimeMillis()));
        CLOUD.sqs().sendMessage(b -> b.queueUrl(requestQueue).messageBody(body));
        return id;
    }

    private Map<String, ClassificationResult> answersFor(List<String> ids) {
        Map<String, ClassificationResult> found = new HashMap<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (Message m : CLOUD.sqs().receiveMessage(b -> b.queueUrl(replyQueue).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages()) {
                ClassificationResult result = Messages.parseResult(m.body());
                CLOUD.sqs().deleteMessage(b -> b.queueUrl(replyQueue).receiptHandle(m.receiptHandle()));
                if (ids.contains(result.id())) {
                    found.put(result.id(), result);
                }
            }
            return found.size() == ids.size();
        });
        return found;
    }

    private int visible() {
        return attribute(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES);
    }

    private int inFlight() {
        return attribute(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
    }

    private int depth() {
        return visible() + inFlight();
    }

    private int attribute(QueueAttributeName name) {
        return Integer.parseInt(CLOUD.sqs().getQueueAttributes(b -> b.queueUrl(requestQueue).attributeNames(name))
                .attributes().get(name));
    }

    private double gateMetric() {
        return registry.get("classifier.lifecycle.gate.open").gauge().value();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> healthOfGate() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(server.getURI().resolve("/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, Object> health = json.readValue(response.body(), Map.class);
        Map<String, Object> details = (Map<String, Object>) health.get("details");
        return (Map<String, Object>) ((Map<String, Object>) details.get("lifecycleGate")).get("details");
    }
}
