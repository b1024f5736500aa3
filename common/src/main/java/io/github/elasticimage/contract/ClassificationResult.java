package io.github.elasticimage.contract;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.util.List;

/**
 * The answer to a {@link ClassificationRequest}: sent on the reply queue and stored as JSON in the output bucket under
 * {@code <id>.json}.
 *
 * @param version      contract version, {@link Messages#VERSION}
 * @param id           the request id this answers
 * @param status       {@link Status#DONE} with a label, or {@link Status#FAILED} with an error
 * @param label        top-1 label (DONE only)
 * @param confidence   top-1 probability in [0, 1] (DONE only)
 * @param top5         the five most probable labels, best first (DONE only)
 * @param errorCode    machine-readable failure kind (FAILED only), see {@link ErrorCode}
 * @param error        human-readable failure reason (FAILED only)
 * @param worker       which worker answered (host/pid), for tracing
 * @param timings      where the worker spent its time
 */
@Serdeable
public record ClassificationResult(
        int version,
        String id,
        Status status,
        @Nullable String label,
        @Nullable Double confidence,
        @Nullable List<Prediction> top5,
        @Nullable ErrorCode errorCode,
        @Nullable String error,
        @Nullable String worker,
        @Nullable Timings timings) {

    public ClassificationResult {
        Messages.requireText(id, "id");
        if (status == null) {
            throw new IllegalArgumentException("status is required");
        }
        top5 = top5 == null ? List.of() : List.copyOf(top5);
    }

    public enum Status { DONE, FAILED }

    /** Why a worker could not classify an image. */
    public enum ErrorCode {
        /** The bytes are not an image the worker can decode (the caller sees 422). */
        UNDECODABLE_IMAGE,
        /** The image header announces more pixels than the worker accepts (the caller sees 422). */
        IMAGE_TOO_LARGE,
        /** The input object was not found in the bucket (the caller sees 502). */
        INPUT_MISSING,
        /**
         * The request ended in the dead-letter queue: a worker refused it, or it was received maxReceiveCount times
         * without an answer (a worker crashed on it, or its job ran past MAX_JOB_TIME). Written by the web tier's
         * dead-letter watcher, not by a worker (the caller sees 502). Readers that predate it never receive it: only
         * the web tier reads results.
         */
        DEAD_LETTERED,
        /** Anything else (the caller sees 502). */
        INTERNAL
    }

    /** One label and its probability. */
    @Serdeable
    public record Prediction(String label, double probability) {
    }

    /** Milliseconds spent by the worker on each stage of the job. */
    @Serdeable
    public record Timings(long queueWaitMs, long downloadMs, long decodeMs, long inferenceMs, long totalMs) {
    }

    public static ClassificationResult done(String id, List<Prediction> top5, String worker, Timings timings) {
        if (top5 == null || top5.isEmpty()) {
            throw new IllegalArgumentException("a DONE result needs at least one prediction");
        }
        Prediction best = top5.get(0);
        return new ClassificationResult(Messages.VERSION, id, Status.DONE, best.label(), best.probability(), top5,
                null, null, worker, timings);
    }

    public static ClassificationResult failed(String id, ErrorCode code, String error, String worker, Timings timings) {
        return new ClassificationResult(Messages.VERSION, id, Status.FAILED, null, null, List.of(), code, error,
                worker, timings);
    }

    public boolean isDone() {
        return status == Status.DONE;
    }
}
