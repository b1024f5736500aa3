package io.github.elasticimage.contract;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Which queue a {@link ClassificationRequest#replyTo()} may name, and which ids may become object keys: the checks the
 * worker's request guard and the web tier's dead-letter watcher both apply before acting on a message
 * (docs/security.md), written once.
 */
public final class ReplyQueues {

    /** SQS queue names: up to 80 letters, digits, hyphens and underscores. */
    private static final Pattern QUEUE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,80}");

    private ReplyQueues() {
    }

    /**
     * True when {@code replyTo} is {@code <base>/<prefix>-<rest>} where {@code <base>} is {@code requestQueueUrl}
     * without its queue name (scheme, host, port and account: {@code https://sqs.<region>.amazonaws.com/<account>} on
     * AWS), i.e. a response queue of this deployment.
     *
     * @param replyTo             the queue URL a message asks to be answered on
     * @param requestQueueUrl     this deployment's request (or dead-letter) queue URL, as resolved here
     * @param responseQueuePrefix {@code RESPONSE_QUEUE_PREFIX}
     */
    public static boolean isResponseQueue(String replyTo, String requestQueueUrl, String responseQueuePrefix) {
        if (replyTo == null || requestQueueUrl == null) {
            return false;
        }
        try {
            URI reply = new URI(replyTo);
            URI own = new URI(requestQueueUrl);
            if (reply.getRawUserInfo() != null || reply.getRawQuery() != null || reply.getRawFragment() != null
                    || reply.getRawPath() == null || own.getRawPath() == null) {
                return false;
            }
            String ownPath = own.getRawPath();
            String base = ownPath.substring(0, ownPath.lastIndexOf('/') + 1);
            String path = reply.getRawPath();
            if (!path.startsWith(base)) {
                return false;
            }
            String name = path.substring(base.length());
            return Objects.equals(reply.getScheme(), own.getScheme())
                    && reply.getHost() != null && reply.getHost().equalsIgnoreCase(own.getHost())
                    && reply.getPort() == own.getPort()
                    && QUEUE_NAME.matcher(name).matches()
                    && name.startsWith(responseQueuePrefix + "-");
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** A UUID in its canonical form (as the web tier writes it), so that the id is also a safe object key stem. */
    public static boolean isRequestId(String id) {
        if (id == null) {
            return false;
        }
        try {
            return UUID.fromString(id).toString().equals(id);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
