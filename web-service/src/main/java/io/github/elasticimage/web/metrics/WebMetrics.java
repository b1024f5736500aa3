package io.github.elasticimage.web.metrics;

import io.github.elasticimage.web.queue.PendingRequests;
import io.github.elasticimage.web.queue.QueueDepths;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.inject.Singleton;

import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The web tier's own gauges (Micronaut adds {@code http.server.requests}): callers waiting, and the request and
 * dead-letter queue depths. In Prometheus form: {@code web_pending_requests} and
 * {@code sqs_queue_messages{queue,state}}. A queue that cannot be read reports NaN.
 */
@Singleton
public class WebMetrics implements MeterBinder {

    private final PendingRequests pending;
    private final QueueDepths queues;

    public WebMetrics(PendingRequests pending, QueueDepths queues) {
        this.pending = pending;
        this.queues = queues;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("web.pending.requests", pending, PendingRequests::size)
                .description("Callers of this web instance waiting for their answer")
                .register(registry);
        queueGauge(registry, "request", "visible", queues::requestQueue, QueueDepths.Depth::visible);
        queueGauge(registry, "request", "in_flight", queues::requestQueue, QueueDepths.Depth::inFlight);
        queueGauge(registry, "request", "delayed", queues::requestQueue, QueueDepths.Depth::delayed);
        queueGauge(registry, "dead_letter", "visible", queues::deadLetterQueue, QueueDepths.Depth::visible);
        queueGauge(registry, "dead_letter", "in_flight", queues::deadLetterQueue, QueueDepths.Depth::inFlight);
    }

    private static void queueGauge(MeterRegistry registry, String queue, String state,
                                   Supplier<QueueDepths.Depth> reader, ToLongFunction<QueueDepths.Depth> count) {
        Gauge.builder("sqs.queue.messages", () -> {
                    try {
                        return count.applyAsLong(reader.get());
                    } catch (RuntimeException e) {
                        return Double.NaN;
                    }
                })
                .description("Approximate messages in an SQS queue by state (visible, in_flight, delayed)")
                .tag("queue", queue)
                .tag("state", state)
                .register(registry);
    }
}
