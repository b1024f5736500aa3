package io.github.elasticimage.chaos;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * What the callers of a chaos burst got back: each 200 answer counted, its label checked against the image's reference
 * label and its id against the ids already seen (another caller with the same id got a copy of someone's answer); a
 * failed call, any other status or a wrong label is a problem.
 *
 * @param requests   calls tallied
 * @param answered   calls answered 200
 * @param correct    answers with the image's reference label
 * @param duplicates answers whose id an earlier answer already had
 * @param ids        the answers' ids
 * @param problems   one line per failed call, other status or wrong label
 */
record AnswerTally(int requests, int answered, int correct, int duplicates, Set<String> ids, List<String> problems) {

    /**
     * Tallies {@code calls}, the i-th of which sent {@code images.get(i)}, against {@code expected} (image to reference
     * label, {@link ChaosStack#expected}); every call must be complete.
     */
    static AnswerTally of(List<Path> images, List<CompletableFuture<HttpResponse<String>>> calls,
                          Map<Path, String> expected) {
        int answered = 0;
        int correct = 0;
        int duplicates = 0;
        Set<String> ids = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            Path image = images.get(i);
            CompletableFuture<HttpResponse<String>> call = calls.get(i);
            if (call.isCompletedExceptionally()) {
                problems.add(image.getFileName() + ": " + call.handle((r, e) -> e.toString()).join());
                continue;
            }
            HttpResponse<String> response = call.join();
            if (response.statusCode() != 200) {
                problems.add(image.getFileName() + ": " + response.statusCode() + " " + response.body());
                continue;
            }
            answered++;
            JsonNode body = ChaosStack.json(response.body());
            if (!ids.add(body.path("id").asText())) {
                duplicates++;
            }
            if (expected.get(image).equals(body.path("label").asText())) {
                correct++;
            } else {
                problems.add(image.getFileName() + ": label " + body.path("label").asText() + ", expected "
                        + expected.get(image));
            }
        }
        return new AnswerTally(calls.size(), answered, correct, duplicates, ids, problems);
    }

    /** Calls not answered 200. */
    int lost() {
        return requests - answered;
    }

    /** The test's summary line: {@code chaos: <fault> requests=... answered=... correct=... duplicates=... lost=...}. */
    String line(String fault) {
        return String.format(Locale.ROOT, "chaos: %s requests=%d answered=%d correct=%d duplicates=%d lost=%d", fault,
                requests, answered, correct, duplicates, lost());
    }
}
