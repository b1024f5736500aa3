package io.github.elasticimage.classifier.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;

/**
 * How a worker process uses its machine and the queue ({@code app.worker.*}).
 *
 * @param threads        inference threads, each with its own Predictor ({@code WORKER_THREADS}); 0, the default, is one
 *                       per core this process may use (its CPU affinity and container limit, as the JVM counts them),
 *                       so a one-core host runs one inference thread and a two-core host two
 * @param maxInFlight    requests held at once: while some wait for S3/SQS, others use the inference threads
 *                       ({@code MAX_IN_FLIGHT}; at least {@code threads})
 * @param intraOpThreads PyTorch intra-op threads per inference ({@code INTRA_OP_THREADS})
 * @param interOpThreads PyTorch inter-op threads ({@code INTER_OP_THREADS})
 * @param maxMessages    most requests taken per receive, never more than free threads ({@code RECEIVE_MAX_MESSAGES})
 * @param waitSeconds    SQS long-poll wait ({@code RECEIVE_WAIT_SECONDS})
 * @param id             name of this worker in answers and logs ({@code WORKER_ID}); host/pid when empty
 * @param maxJobTime     a job still running after this long is abandoned: its message is no longer kept invisible and
 *                       is left to redelivery and the dead-letter queue, its slot is freed ({@code MAX_JOB_TIME})
 */
@ConfigurationProperties("app.worker")
public record WorkerProperties(
        @Min(0) int threads,
        @Min(1) int maxInFlight,
        @Min(1) int intraOpThreads,
        @Min(1) int interOpThreads,
        @Min(1) @Max(10) int maxMessages,
        @Min(0) @Max(20) int waitSeconds,
        @Nullable String id,
        @NotNull Duration maxJobTime) {

    public WorkerProperties {
        if (threads == 0) {
            threads = Runtime.getRuntime().availableProcessors();
        }
    }
}
