package io.github.elasticimage.web.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.http.HttpRequest;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * The deliberate 503s of {@link Admission}, told to an operator without a log line per request (under overload they
 * come by the thousand): the first refusal of a burst at WARN with its reason, then one WARN line every
 * {@value #INTERVAL} while refusals go on ({@code refused 734 request(s) in the last 10 s: MAX_UPLOAD_MEMORY 700,
 * MAX_PENDING 34}), an INFO line when an interval passes without one (the burst is over), and each refusal at DEBUG.
 * Every refusal counts in {@code web_admission_refused_total{reason}} ({@code max_pending}, {@code max_upload_memory}).
 */
@Singleton
public class AdmissionRefusals {

    /** How often refusals are summed up in the log. */
    static final String INTERVAL = "10s";
    private static final Logger LOG = LoggerFactory.getLogger(AdmissionRefusals.class);

    private final Map<Admission.Limit, Counter> counters = new EnumMap<>(Admission.Limit.class);
    private final Map<Admission.Limit, LongAdder> sinceSummary = new EnumMap<>(Admission.Limit.class);
    private final AtomicBoolean burst = new AtomicBoolean();
    private long summarised = System.nanoTime();

    public AdmissionRefusals(MeterRegistry registry) {
        for (Admission.Limit limit : Admission.Limit.values()) {
            counters.put(limit, Counter.builder("web.admission.refused")
                    .description("Requests this instance refused with 503 before reading them, by the limit that "
                            + "refused them (MAX_PENDING, MAX_UPLOAD_MEMORY)")
                    .tag("reason", limit.name().toLowerCase(Locale.ROOT))
                    .register(registry));
            sinceSummary.put(limit, new LongAdder());
        }
    }

    /** Counts and logs one refusal of {@code request}. */
    void record(HttpRequest<?> request, WebException.CapacityExceeded refusal) {
        counters.get(refusal.limit()).increment();
        sinceSummary.get(refusal.limit()).increment();
        if (burst.compareAndSet(false, true)) {
            LOG.warn("refusing requests with 503: {} {}: {} (further refusals are summed up every {}, each one at "
                    + "DEBUG; web_admission_refused_total counts them)", request.getMethodName(), request.getPath(),
                    refusal.getMessage(), INTERVAL);
        } else {
            LOG.debug("refused {} {} with 503: {}", request.getMethodName(), request.getPath(), refusal.getMessage());
        }
    }

    /** The summary of the refusals since the last one; ends the burst after an interval without any. */
    @Scheduled(fixedDelay = INTERVAL, initialDelay = INTERVAL)
    synchronized void summarise() {
        long now = System.nanoTime();
        long seconds = Math.round((now - summarised) / 1e9);
        summarised = now;
        Map<Admission.Limit, Long> counts = new EnumMap<>(Admission.Limit.class);
        sinceSummary.forEach((limit, n) -> counts.put(limit, n.sumThenReset()));
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        if (total > 0) {
            String byLimit = counts.entrySet().stream().filter(e -> e.getValue() > 0)
                    .sorted(Map.Entry.<Admission.Limit, Long>comparingByValue().reversed())
                    .map(e -> e.getKey().name() + " " + e.getValue()).collect(Collectors.joining(", "));
            LOG.warn("refused {} request(s) with 503 in the last {} s: {}", total, seconds, byLimit);
        } else if (burst.compareAndSet(true, false)) {
            LOG.info("no request refused in the last {} s: admitting again", seconds);
        }
    }
}
