package io.github.elasticimage.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code make run}'s SQS keeps its queues and messages across a restart, like SQS: waiting, in-flight and dead-lettered
 * messages, receive counts, and the queues' attributes (redrive policy). Fails with the in-memory server, which comes
 * back empty.
 */
class PersistentSqsTest {

    private static final String HOST = "127.0.0.1";
    private static final int WAITING = 5;
    /** Visibility timeout of the one message received and not deleted (in flight across the restart). */
    private static final int IN_FLIGHT_TIMEOUT_S = 3;

    @TempDir
    Path dir;

    @Test
    void queuesAndMessagesOutliveSqsRestart() {
        Path sqsData = dir.resolve("sqs");
        LocalResources names = LocalResources.defaults();
        Map<String, String> attributesBefore;
        String inFlightId;
        try (LocalAwsServers cloud = LocalAwsServers.start(HOST, 0, 0, dir.resolve("s3"), sqsData, names)) {
            SqsClient sqs = cloud.sqs();
            String requests = cloud.queueUrl(names.requestQueue());
            for (int i = 0; i < WAITING; i++) {
                int n = i;
                sqs.sendMessage(b -> b.queueUrl(requests).messageBody("request-" + n));
            }
            sqs.sendMessage(b -> b.queueUrl(cloud.queueUrl(names.deadLetterQueue())).messageBody("dead"));
            Message inFlight = sqs.receiveMessage(b -> b.queueUrl(requests).maxNumberOfMessages(1)
                    .visibilityTimeout(IN_FLIGHT_TIMEOUT_S)).messages().get(0);
            inFlightId = inFlight.messageId();
            // An attribute changed at run time (as the chaos tests do) is kept too: a restart is not a reconfiguration.
            sqs.setQueueAttributes(b -> b.queueUrl(requests).attributes(Map.of(
                    QueueAttributeName.VISIBILITY_TIMEOUT, "7")));
            attributesBefore = queueAttributes(cloud, names.requestQueue());
            assertEquals("4", attributesBefore.get("ApproximateNumberOfMessages"));
            assertEquals("1", attributesBefore.get("ApproximateNumberOfMessagesNotVisible"));

            cloud.stopSqs();
            assertThrows(RuntimeException.class, () -> sqs.listQueues(), "SQS should be down");
            long started = System.nanoTime();
            cloud.restartSqs();
            System.out.printf("SQS restart on %s: %d ms%n", sqsData, (System.nanoTime() - started) / 1_000_000);

            Map<String, String> after = queueAttributes(cloud, names.requestQueue());
            assertEquals("7", attributesBefore.get("VisibilityTimeout"));
            for (String name : List.of("RedrivePolicy", "VisibilityTimeout", "QueueArn", "MessageRetentionPeriod")) {
                assertEquals(attributesBefore.get(name), after.get(name), name + " after the restart");
            }
            assertEquals(WAITING, countAll(after), "messages after the restart " + after);
            assertEquals(Map.of("dead", 1), receiveAll(cloud, names.deadLetterQueue(), 1));
            Map<String, Integer> receiveCounts = receiveAll(cloud, names.requestQueue(), WAITING);
            for (int i = 0; i < WAITING; i++) {
                assertTrue(receiveCounts.containsKey("request-" + i), "request-" + i + " in " + receiveCounts);
            }
            // The in-flight one came back after its timeout and kept its first receive: this is its second.
            assertEquals(WAITING, receiveCounts.size());
            assertEquals(1, receiveCounts.values().stream().filter(c -> c == 2).count(),
                    "exactly the in-flight message received a second time: " + receiveCounts + " (" + inFlightId + ")");
        }
    }

    /** Ctrl-C and {@code make run} again: a process sends, is stopped by SIGTERM, a new process finds everything. */
    @Test
    void messagesOutliveTheProcess() throws Exception {
        Path data = dir.resolve("process-data");
        Process filler = probe("fill", data);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(filler.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("filled ")) {
                // the probe's log
            }
            assertTrue(line != null, "the filling process ended before filling");
            assertEquals("filled " + SqsDataProbe.MESSAGES, line);
            filler.destroy(); // SIGTERM, what Ctrl-C's SIGINT does to make run: shutdown hooks run
            assertTrue(filler.waitFor(30, TimeUnit.SECONDS), "filling process did not stop");
        } finally {
            filler.destroyForcibly();
        }
        assertTrue(Files.exists(data.resolve(EmbeddedSqs.H2_FILE + ".mv.db")), "no database in " + data);
        long started = System.nanoTime();
        Process counter = probe("count", data);
        String output = new String(counter.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(counter.waitFor(60, TimeUnit.SECONDS));
        System.out.printf("new process on the same folder: %d ms including JVM start%n",
                (System.nanoTime() - started) / 1_000_000);
        assertEquals(0, counter.exitValue(), output);
        assertTrue(output.contains("counted " + SqsDataProbe.MESSAGES + " "), output);
    }

    private static Process probe(String mode, Path data) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                SqsDataProbe.class.getName(), mode, data.toString())
                .redirectErrorStream(true).start();
    }

    private static Map<String, String> queueAttributes(LocalAwsServers cloud, String queue) {
        return cloud.sqs().getQueueAttributes(b -> b.queueUrl(cloud.queueUrl(queue))
                .attributeNames(QueueAttributeName.ALL)).attributesAsStrings();
    }

    private static int countAll(Map<String, String> attributes) {
        return Integer.parseInt(attributes.get("ApproximateNumberOfMessages"))
                + Integer.parseInt(attributes.get("ApproximateNumberOfMessagesNotVisible"));
    }

    /** Receives (without deleting) until {@code expected} distinct bodies are seen: body -> its receive count. */
    private static Map<String, Integer> receiveAll(LocalAwsServers cloud, String queue, int expected) {
        String url = cloud.queueUrl(queue);
        Map<String, Integer> seen = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(IN_FLIGHT_TIMEOUT_S + 15);
        while (seen.size() < expected && System.nanoTime() < deadline) {
            for (Message m : cloud.sqs().receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
                    .visibilityTimeout(60).messageSystemAttributeNames(
                            MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).messages()) {
                seen.put(m.body(), Integer.parseInt(
                        m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)));
            }
        }
        return seen;
    }
}
