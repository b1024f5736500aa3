package io.github.elasticimage.web.status;

import io.github.elasticimage.scaling.ScalingPoint;
import io.github.elasticimage.web.queue.PendingRequests;
import io.github.elasticimage.web.queue.QueueDepths;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.MediaType;
import io.micronaut.management.endpoint.annotation.Endpoint;
import io.micronaut.management.endpoint.annotation.Read;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code GET /api/v1/status} on the management port ({@code MANAGEMENT_PORT}, with {@code /prometheus} and the detailed
 * {@code /health}; its path is {@code endpoints.status.path} in application.yml): queue counts from SQS, callers
 * waiting here, and worker counts from the local autoscaler's timeline when {@code SCALING_TIMELINE_URL} is set. A
 * part that cannot be read is {@code null} and named in {@code problems}; the call itself still answers 200. A
 * management endpoint, not a controller, so the public port does not answer it (docs/security.md).
 */
@Endpoint(id = "status", defaultSensitive = false)
public class StatusEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(StatusEndpoint.class);

    private final QueueDepths queues;
    private final ScalingTimeline timeline;
    private final PendingRequests pending;

    public StatusEndpoint(QueueDepths queues, ScalingTimeline timeline, PendingRequests pending) {
        this.queues = queues;
        this.timeline = timeline;
        this.pending = pending;
    }

    /**
     * @param time            when this status was taken (epoch milliseconds)
     * @param pending         callers of this web instance waiting for their answer
     * @param requestQueue    request queue counts, null when SQS does not answer
     * @param deadLetterQueue dead-letter queue counts, null when SQS does not answer
     * @param workers         running and desired workers from the scaling timeline; null when not configured or
     *                        unreachable
     * @param problems        what could not be read, for a person
     */
    @Serdeable
    public record Status(long time, int pending, @Nullable QueueDepths.Depth requestQueue,
                         @Nullable QueueDepths.Depth deadLetterQueue, @Nullable Workers workers,
                         List<String> problems) {
    }

    /** The status API's view of the newest {@link ScalingPoint}: workers running and wanted at time {@code t}. */
    @Serdeable
    public record Workers(long t, int running, int desired) {
        static Workers of(ScalingPoint point) {
            return new Workers(point.t(), point.running(), point.desired());
        }
    }

    @Read(produces = MediaType.APPLICATION_JSON)
    @ExecuteOn(TaskExecutors.BLOCKING)
    public Status status() {
        List<String> problems = new ArrayList<>();
        QueueDepths.Depth request = read("request queue", queues::requestQueue, problems);
        QueueDepths.Depth deadLetter = read("dead-letter queue", queues::deadLetterQueue, problems);
        Workers workers = null;
        if (timeline.isConfigured()) {
            try {
                workers = timeline.latest().map(Workers::of).orElse(null);
                if (workers == null) {
                    problems.add("scaling timeline: no point yet");
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("scaling timeline unreadable: {}", e.toString());
                problems.add("scaling timeline: unreachable");
            }
        }
        return new Status(System.currentTimeMillis(), pending.size(), request, deadLetter, workers, problems);
    }

    @Nullable
    private static <T> T read(String what, Supplier<T> reader, List<String> problems) {
        try {
            return reader.get();
        } catch (RuntimeException e) {
            LOG.debug("{} unreadable: {}", what, e.toString());
            problems.add(what + ": unreachable");
            return null;
        }
    }
}
