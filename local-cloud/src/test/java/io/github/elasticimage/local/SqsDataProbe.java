package io.github.elasticimage.local;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A separate process for {@link PersistentSqsTest}: {@code fill DIR} starts the local servers persistent on DIR, sends
 * {@link #MESSAGES} requests, prints {@code filled N} and waits to be stopped (closing the servers on SIGTERM as
 * {@code make run} does); {@code count DIR} starts them on DIR and prints {@code counted N } (the request queue's
 * messages).
 */
public final class SqsDataProbe {

    static final int MESSAGES = 20;

    private SqsDataProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[1]);
        LocalAwsServers cloud = LocalAwsServers.start("127.0.0.1", 0, 0, Files.createTempDirectory("probe-s3"), data,
                LocalResources.defaults());
        String requests = cloud.queueUrl(cloud.resources().requestQueue());
        if (args[0].equals("fill")) {
            Runtime.getRuntime().addShutdownHook(new Thread(cloud::close));
            for (int i = 0; i < MESSAGES; i++) {
                int n = i;
                cloud.sqs().sendMessage(b -> b.queueUrl(requests).messageBody("request-" + n));
            }
            System.out.println("filled " + MESSAGES);
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        } else {
            String count = cloud.sqs().getQueueAttributes(b -> b.queueUrl(requests).attributeNamesWithStrings(
                    "ApproximateNumberOfMessages")).attributesAsStrings().get("ApproximateNumberOfMessages");
            System.out.println("counted " + count + " ");
            cloud.close();
            System.exit(0);
        }
    }
}
