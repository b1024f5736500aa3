package io.github.elasticimage.contract;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reply-queue and id checks shared by the worker's request guard and the web tier's dead-letter watcher. */
class ReplyQueuesTest {

    private static final String AWS_REQUESTS = "https://sqs.eu-west-1.amazonaws.com/123456789012/eir-requests";
    private static final String LOCAL_DLQ = "http://127.0.0.1:9324/000000000000/image-requests-dlq";

    @Test
    void aResponseQueueOfThisDeploymentIsAccepted() {
        assertTrue(ReplyQueues.isResponseQueue("https://sqs.eu-west-1.amazonaws.com/123456789012/eir-responses-i-0abc",
                AWS_REQUESTS, "eir-responses"));
        assertTrue(ReplyQueues.isResponseQueue("http://127.0.0.1:9324/000000000000/image-responses-a1",
                LOCAL_DLQ, "image-responses"));
    }

    @Test
    void anyOtherQueueIsRefused() {
        String prefix = "eir-responses";
        // another prefix, account, region, scheme; a path, query or user info smuggled in; not a URL at all
        for (String replyTo : new String[] {
                "https://sqs.eu-west-1.amazonaws.com/123456789012/other-responses-a",
                "https://sqs.eu-west-1.amazonaws.com/210987654321/eir-responses-a",
                "https://sqs.us-east-1.amazonaws.com/123456789012/eir-responses-a",
                "http://sqs.eu-west-1.amazonaws.com/123456789012/eir-responses-a",
                "https://sqs.eu-west-1.amazonaws.com:444/123456789012/eir-responses-a",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/eir-responses-a/x",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/eir-responses-a?x=1",
                "https://u@sqs.eu-west-1.amazonaws.com/123456789012/eir-responses-a",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/eir-responses",
                "not a url", "", null}) {
            assertFalse(ReplyQueues.isResponseQueue(replyTo, AWS_REQUESTS, prefix), String.valueOf(replyTo));
        }
    }

    @Test
    void onlyCanonicalUuidsAreRequestIds() {
        assertTrue(ReplyQueues.isRequestId("123e4567-e89b-12d3-a456-426614174000"));
        assertFalse(ReplyQueues.isRequestId("123E4567-E89B-12D3-A456-426614174000"));
        assertFalse(ReplyQueues.isRequestId("1-2-3-4-5"));
        assertFalse(ReplyQueues.isRequestId("../123e4567-e89b-12d3-a456-426614174000"));
        assertFalse(ReplyQueues.isRequestId(null));
    }
}
