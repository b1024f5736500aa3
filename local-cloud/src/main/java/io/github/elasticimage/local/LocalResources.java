package io.github.elasticimage.local;

/**
 * Names and settings of the queues and buckets the local default creates. The env var names returned by
 * {@link LocalAwsServers#serviceEnvironment()} are the ones the services' application.yml and the Terraform user data
 * use.
 *
 * @param requestQueue        request queue name
 * @param deadLetterQueue     dead-letter queue of the request queue
 * @param inputBucket         bucket for uploads
 * @param outputBucket        bucket for results
 * @param responseQueuePrefix prefix of each web instance's own response queue
 * @param visibilityTimeoutS  request queue visibility timeout in seconds
 * @param maxReceiveCount     receives before a request moves to the dead-letter queue
 */
public record LocalResources(
        String requestQueue,
        String deadLetterQueue,
        String inputBucket,
        String outputBucket,
        String responseQueuePrefix,
        int visibilityTimeoutS,
        int maxReceiveCount) {

    public static LocalResources defaults() {
        return new LocalResources("image-requests", "image-requests-dlq", "image-input", "image-output",
                "image-responses", 30, 3);
    }
}
