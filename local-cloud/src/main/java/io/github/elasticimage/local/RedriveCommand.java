package io.github.elasticimage.local;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ListMessageMoveTasksResultEntry;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code make redrive}: moves every request in the local dead-letter queue back to the request queue, with SQS's
 * message move task ({@code StartMessageMoveTask}, which ElasticMQ implements), as {@code aws sqs
 * start-message-move-task} does on AWS (docs/reliability.md). Run it while {@code make run} is up.
 */
@Command(name = "redrive", mixinStandardHelpOptions = true,
        description = "Move the requests in the dead-letter queue back to the request queue (local SQS).")
public final class RedriveCommand implements Callable<Integer> {

    @Option(names = "--sqs-endpoint", defaultValue = "http://127.0.0.1:9324",
            description = "The local SQS server (default: ${DEFAULT-VALUE}).")
    URI endpoint;

    @Option(names = "--dead-letter-queue", description = "Dead-letter queue (default: make run's).")
    String deadLetterQueue = LocalResources.defaults().deadLetterQueue();

    @Option(names = "--request-queue", description = "Where the requests go back to (default: make run's).")
    String requestQueue = LocalResources.defaults().requestQueue();

    @Option(names = "--timeout", defaultValue = "PT60S", description = "How long to wait for the move (default: 60 s).")
    Duration timeout;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RedriveCommand()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        try (SqsClient sqs = SqsClient.builder().endpointOverride(endpoint).region(Region.of(LocalAwsServers.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        LocalAwsServers.DUMMY_CREDENTIAL, LocalAwsServers.DUMMY_CREDENTIAL)))
                .httpClient(Apache5HttpClient.create()).build()) {
            ListMessageMoveTasksResultEntry task = redrive(sqs, deadLetterQueue, requestQueue, timeout);
            System.out.printf("redrive: %s: moved %d message(s) from %s to %s%s%n", task.status(),
                    task.approximateNumberOfMessagesMoved(), deadLetterQueue, requestQueue,
                    task.failureReason() == null ? "" : " (" + task.failureReason() + ")");
            return "COMPLETED".equals(task.status()) ? 0 : 1;
        }
    }

    /**
     * Starts a message move task from {@code deadLetterQueue} to {@code requestQueue} and waits for it to end.
     *
     * @return the task as ListMessageMoveTasks last reported it
     */
    public static ListMessageMoveTasksResultEntry redrive(SqsClient sqs, String deadLetterQueue, String requestQueue,
                                                          Duration timeout) throws InterruptedException {
        String source = arn(sqs, deadLetterQueue);
        String destination = arn(sqs, requestQueue);
        // Explicit destination: requests a worker refused were sent to the dead-letter queue, not moved there by SQS,
        // so they have no "original source queue" to return to.
        String handle = sqs.startMessageMoveTask(b -> b.sourceArn(source).destinationArn(destination)).taskHandle();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ListMessageMoveTasksResultEntry task = sqs.listMessageMoveTasks(b -> b.sourceArn(source).maxResults(10))
                    .results().stream().filter(t -> handle == null || handle.equals(t.taskHandle())
                            || t.taskHandle() == null).findFirst().orElseThrow(() -> new IllegalStateException(
                            "the move task from " + deadLetterQueue + " is not listed"));
            if (!"RUNNING".equals(task.status()) || System.nanoTime() > deadline) {
                return task;
            }
            Thread.sleep(200);
        }
    }

    private static String arn(SqsClient sqs, String queueName) {
        String url = sqs.getQueueUrl(b -> b.queueName(queueName)).queueUrl();
        return sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes()
                .get(QueueAttributeName.QUEUE_ARN);
    }
}
