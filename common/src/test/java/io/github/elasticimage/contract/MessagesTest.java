package io.github.elasticimage.contract;

import io.github.elasticimage.contract.ClassificationResult.ErrorCode;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.contract.ClassificationResult.Timings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessagesTest {

    @Test
    void objectKeysAreTheOnesTheWorkerPolicyNames() {
        // terraform/iam.tf grants the workers uploads/* in the input bucket and *.json in the output bucket.
        assertEquals("uploads/id-1", Messages.uploadKey("id-1"));
        assertTrue(Messages.uploadKey("id-1").startsWith(Messages.UPLOAD_PREFIX));
        assertEquals("id-1.json", Messages.resultKey("id-1"));
    }

    @Test
    void requestSurvivesARoundTrip() {
        ClassificationRequest request = ClassificationRequest.of("id-1", "in", Messages.uploadKey("id-1"), "cat.jpg",
                "http://127.0.0.1:9324/000000000000/image-responses-a", 1_700_000_000_000L);
        String json = Messages.toJson(request);
        assertEquals(request, Messages.parseRequest(json));
        assertTrue(json.contains("\"version\":1"), json);
    }

    @Test
    void theOwnerIsOptionalBothWays() {
        ClassificationRequest owned = ClassificationRequest.of("id-1", "in", "uploads/id-1", "cat.jpg",
                "http://127.0.0.1:9324/000000000000/image-responses-a", 1L, "tag-1");
        assertEquals(owned, Messages.parseRequest(Messages.toJson(owned)));
        // A message written before the field existed (or with API keys off) still parses, with no owner.
        ClassificationRequest old = Messages.parseRequest("{\"version\":1,\"id\":\"x\",\"bucket\":\"b\","
                + "\"key\":\"k\",\"fileName\":null,\"replyTo\":\"q\",\"submittedAt\":1}");
        assertEquals(null, old.owner());
        // A reader that does not know a field ignores it (an older worker reading a newer message).
        ClassificationRequest newer = Messages.parseRequest("{\"version\":1,\"id\":\"x\",\"bucket\":\"b\","
                + "\"key\":\"k\",\"replyTo\":\"q\",\"submittedAt\":1,\"owner\":\"t\",\"later\":42}");
        assertEquals("t", newer.owner());
    }

    @Test
    void doneResultSurvivesARoundTripWithTop5() {
        List<Prediction> top = List.of(new Prediction("espresso", 0.98), new Prediction("cup", 0.01),
                new Prediction("eggnog", 0.005), new Prediction("coffee mug", 0.002), new Prediction("consomme", 0.001));
        ClassificationResult result = ClassificationResult.done("id-2", top, "worker-1", new Timings(1, 2, 3, 4, 10));
        ClassificationResult parsed = Messages.parseResult(Messages.toJson(result));
        assertEquals(result, parsed);
        assertEquals("espresso", parsed.label());
        assertEquals(0.98, parsed.confidence());
        assertTrue(parsed.isDone());
    }

    @Test
    void failedResultKeepsItsReason() {
        ClassificationResult result = ClassificationResult.failed("id-3", ErrorCode.UNDECODABLE_IMAGE,
                "Bogus Huffman table definition", "worker-2", null);
        ClassificationResult parsed = Messages.parseResult(Messages.toJson(result));
        assertFalse(parsed.isDone());
        assertEquals(ErrorCode.UNDECODABLE_IMAGE, parsed.errorCode());
        assertEquals("Bogus Huffman table definition", parsed.error());
        assertEquals(List.of(), parsed.top5());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "null", "not json", "{\"id\":\"x\"}", "[1,2]",
            "{\"version\":1,\"id\":\"x\",\"bucket\":\"b\",\"key\":\"\",\"replyTo\":\"q\",\"submittedAt\":1}",
            "{\"version\":99,\"id\":\"x\",\"bucket\":\"b\",\"key\":\"k\",\"replyTo\":\"q\",\"submittedAt\":1}"})
    void malformedRequestsAreRejectedWithAReason(String body) {
        Messages.MalformedMessageException e = assertThrows(Messages.MalformedMessageException.class,
                () -> Messages.parseRequest(body));
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void aDoneResultNeedsAPrediction() {
        assertThrows(IllegalArgumentException.class, () -> ClassificationResult.done("id", List.of(), "w", null));
    }

    @Test
    void resultKeyIsDerivedFromTheIdOnly() {
        assertEquals("abc.json", Messages.resultKey("abc"));
    }
}
