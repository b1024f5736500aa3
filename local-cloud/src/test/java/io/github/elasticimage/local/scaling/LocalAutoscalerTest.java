package io.github.elasticimage.local.scaling;

import io.github.elasticimage.scaling.ScalingPoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesResponse;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The autoscaler's loop against a scripted queue and a fake worker pool, and its timeline over HTTP. */
class LocalAutoscalerTest {

    private static final ScalingPolicy POLICY = ScalingPolicy.packaged();

    /** Answers GetQueueAttributes from a script of (visible, in flight) pairs. */
    private static final class ScriptedQueue implements SqsClient {
        final Deque<long[]> script = new ArrayDeque<>();
        final List<GetQueueAttributesRequest> requests = new ArrayList<>();

        @Override
        public GetQueueAttributesResponse getQueueAttributes(GetQueueAttributesRequest request) {
            requests.add(request);
            long[] next = script.isEmpty() ? new long[] {0, 0} : script.removeFirst();
            return GetQueueAttributesResponse.builder().attributes(Map.of(
                    QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, Long.toString(next[0]),
                    QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, Long.toString(next[1]))).build();
        }

        @Override
        public String serviceName() {
            return "sqs";
        }

        @Override
        public void close() {
        }
    }

    /** Workers become ready one period after they are requested, like a JVM that boots slower than it is sampled. */
    private static final class FakePool implements LocalAutoscaler.WorkerPool {
        final List<Integer> requested = new ArrayList<>();
        int ready;
        int target;

        @Override
        public void requestWorkers(int desired) {
            requested.add(desired);
            if (desired < ready) {
                ready = desired;
            }
            target = desired;
        }

        void boot() {
            ready = target;
        }

        @Override
        public int readyWorkers() {
            return ready;
        }

        @Override
        public int bootingWorkers() {
            return target - ready;
        }
    }

    @Test
    void followsTheBacklogUpToTheLocalMaxAndBackToTheMinimumAndRecordsEveryDecision() throws Exception {
        ScriptedQueue queue = new ScriptedQueue();
        FakePool pool = new FakePool();
        int window = POLICY.scaleIn().evaluationPeriods();
        queue.script.add(new long[] {3, 0});   // 3 visible: 3 workers
        queue.script.add(new long[] {9, 3});   // 12 wanted, local max 4
        queue.script.add(new long[] {0, 4});   // all in flight: keep 4
        queue.script.add(new long[] {0, 1});   // one slow job left: keep 4
        for (int i = 0; i < window; i++) {
            queue.script.add(new long[] {0, 0});
        }
        LocalAutoscaler autoscaler = new LocalAutoscaler(queue, "http://queue", new ScalingEngine(POLICY, 0, 4),
                Duration.ofSeconds(3), pool, 0);
        List<ScalingPoint> points = new ArrayList<>();
        for (int i = 0; i < 4 + window; i++) {
            points.add(autoscaler.tick());
            pool.boot();
        }
        List<Integer> expected = new ArrayList<>(List.of(3, 4, 4, 4));
        for (int i = 1; i < window; i++) {
            expected.add(4);
        }
        expected.add(0);
        assertEquals(expected, pool.requested);
        assertEquals(expected, points.stream().map(ScalingPoint::desired).toList());
        assertEquals(0, points.get(0).running(), "workers requested in a period are not running yet");
        assertEquals(3, points.get(1).running());
        assertEquals(List.of(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE), queue.requests.get(0).attributeNames());
        assertEquals(points, autoscaler.timeline());

        try (TimelineServer server = TimelineServer.start("127.0.0.1", 0, autoscaler::timeline)) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(server.url()).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
            JsonNode json = new ObjectMapper().readTree(response.body());
            assertTrue(json.isArray());
            assertEquals(points.size(), json.size());
            JsonNode second = json.get(1);
            List<String> fields = new ArrayList<>();
            for (Iterator<String> names = second.fieldNames(); names.hasNext(); ) {
                fields.add(names.next());
            }
            assertEquals(List.of("t", "visible", "inFlight", "desired", "running"), fields);
            assertEquals(points.get(1).t(), second.get("t").asLong());
            assertEquals(9, second.get("visible").asLong());
            assertEquals(3, second.get("inFlight").asLong());
            assertEquals(4, second.get("desired").asInt());
            assertEquals(3, second.get("running").asInt());

            HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.url())
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }
    }

    @Test
    void withTheGateHoldsAStepTheBacklogDoesNotOutlastAndTakesOneItDoes() {
        ScriptedQueue queue = new ScriptedQueue();
        FakePool pool = new FakePool();
        pool.requestWorkers(1);
        pool.boot();
        queue.script.add(new long[] {30, 2});   // 32 drain in 1.6 s at the prior 20/s: no worker boots that fast
        queue.script.add(new long[] {500, 2});  // 502 take 25 s: worth a worker booting in 6 s
        LocalAutoscaler autoscaler = new LocalAutoscaler(queue, "http://queue", new ScalingEngine(POLICY, 1, 4),
                Duration.ofSeconds(3), pool, 1, new ScaleOutGate(6, 20));
        assertEquals(1, autoscaler.tick().desired());
        assertEquals(4, autoscaler.tick().desired());
        assertEquals(List.of(1, 1, 4), pool.requested);

        // Without the gate (the policy alone, as on AWS) the first sample already asks for the local max.
        ScriptedQueue again = new ScriptedQueue();
        again.script.add(new long[] {30, 2});
        LocalAutoscaler policyOnly = new LocalAutoscaler(again, "http://queue", new ScalingEngine(POLICY, 1, 4),
                Duration.ofSeconds(3), new FakePool(), 1);
        assertEquals(4, policyOnly.tick().desired());
    }

    @Test
    void keepsTheLastDecisionsOnly() {
        ScriptedQueue queue = new ScriptedQueue();
        LocalAutoscaler autoscaler = new LocalAutoscaler(queue, "http://queue", new ScalingEngine(POLICY, 1, 4),
                Duration.ofSeconds(3), new FakePool(), 1);
        for (int i = 0; i < LocalAutoscaler.TIMELINE_CAPACITY + 5; i++) {
            autoscaler.tick();
        }
        assertEquals(LocalAutoscaler.TIMELINE_CAPACITY, autoscaler.timeline().size());
        assertEquals(1, autoscaler.desired());
    }
}
