package io.github.elasticimage.loadtest;

import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The numbers of one run: counts, latency percentiles (from the shared start moment, and service time from each send),
 * throughput, errors by kind, wrong labels and, when a scaling timeline was read, what the workers did.
 */
public final class Summary {

    /** Latencies are recorded in microseconds, up to an hour, to 3 significant digits. */
    private static final long HIGHEST_MICROS = 3_600_000_000L;
    private static final int MAX_WRONG_SHOWN = 10;

    private final LoadRunner.Run run;
    private final Histogram latency = new Histogram(HIGHEST_MICROS, 3);
    private final Histogram service = new Histogram(HIGHEST_MICROS, 3);
    private final int ok;
    private final int failed;
    private final int correct;
    private final int checked;
    private final int retried;
    private final int retries;
    private final int seen503;
    private final int pushedBack;
    private final Map<String, Integer> errorsByKind = new TreeMap<>();
    private final Map<String, String> errorExample = new TreeMap<>();
    private final Map<String, Integer> wrongLabels = new TreeMap<>();
    private final ScalingSummary scaling;

    public Summary(LoadRunner.Run run, ScalingSummary scaling) {
        this.run = run;
        this.scaling = scaling;
        int okCount = 0;
        int correctCount = 0;
        int checkedCount = 0;
        int retriedCount = 0;
        int retryCount = 0;
        int seen503Count = 0;
        int pushedBackCount = 0;
        for (RequestResult result : run.results()) {
            if (result.retries() > 0) {
                retriedCount++;
                retryCount += result.retries();
            }
            seen503Count += result.seen503();
            if (result.pushedBack()) {
                pushedBackCount++;
            }
            latency.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, result.latencyNanos() / 1_000)));
            service.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, result.serviceNanos() / 1_000)));
            if (result.ok()) {
                okCount++;
            } else {
                errorsByKind.merge(result.error(), 1, Integer::sum);
                errorExample.putIfAbsent(result.error(), result.detail());
            }
            if (result.checked()) {
                checkedCount++;
                if (result.correct()) {
                    correctCount++;
                } else if (result.ok()) {
                    wrongLabels.merge(result.file() + ": got \"" + result.label() + "\", expected \""
                            + result.expected() + "\"", 1, Integer::sum);
                }
            }
        }
        this.ok = okCount;
        this.failed = run.results().size() - okCount;
        this.correct = correctCount;
        this.checked = checkedCount;
        this.retried = retriedCount;
        this.retries = retryCount;
        this.seen503 = seen503Count;
        this.pushedBack = pushedBackCount;
    }

    public int requests() {
        return run.results().size();
    }

    public int ok() {
        return ok;
    }

    public int failed() {
        return failed;
    }

    public int correct() {
        return correct;
    }

    public int checked() {
        return checked;
    }

    /** Requests sent more than once (answered 503 or 429 with Retry-After, then retried). */
    public int retried() {
        return retried;
    }

    /** Retries in all (attempts beyond each request's first). */
    public int retries() {
        return retries;
    }

    /** 503 answers over all attempts: how often admission (or a backend outage) pushed back. */
    public int seen503() {
        return seen503;
    }

    /** Requests whose last answer still asked to retry when the retry bounds were reached (counted as failed). */
    public int pushedBack() {
        return pushedBack;
    }

    public Histogram latency() {
        return latency;
    }

    public Map<String, Integer> errorsByKind() {
        return errorsByKind;
    }

    public Map<String, String> errorExamples() {
        return errorExample;
    }

    public Map<String, Integer> wrongLabels() {
        return wrongLabels;
    }

    public ScalingSummary scaling() {
        return scaling;
    }

    public LoadRunner.Run run() {
        return run;
    }

    /** Latency from the start moment at a percentile, in milliseconds. */
    public double latencyMs(double percentile) {
        return requests() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
    }

    public double maxMs() {
        return requests() == 0 ? 0 : latency.getMaxValue() / 1000.0;
    }

    public double serviceMs(double percentile) {
        return requests() == 0 ? 0 : service.getValueAtPercentile(percentile) / 1000.0;
    }

    /** When the last request was handed to the HTTP client, ms after the start moment (how long the release took). */
    public double lastSentMs() {
        return run.results().stream().mapToLong(RequestResult::sentNanos).max().orElse(0) / 1e6;
    }

    public double elapsedSeconds() {
        return run.elapsedNanos() / 1e9;
    }

    /** Successful answers per second, from the start moment to the last completion. */
    public double throughput() {
        double seconds = elapsedSeconds();
        return seconds > 0 ? ok / seconds : 0;
    }

    /** Whether every request succeeded and every checked label was right (the exit status). */
    public boolean passed() {
        return failed == 0 && correct == checked;
    }

    public String workersPeak() {
        return scaling == null || scaling.peak() < 0 ? "unknown" : Long.toString(scaling.peak());
    }

    /** The machine-readable last line. */
    public String lastLine() {
        return String.format(Locale.ROOT,
                "load-test: requests=%d ok=%d failed=%d correct=%d/%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f"
                        + " throughput=%.1f retried=%d seen_503=%d workers_peak=%s",
                requests(), ok, failed, correct, checked, latencyMs(50), latencyMs(90), latencyMs(99), maxMs(),
                throughput(), retried, seen503, workersPeak());
    }

    public void print(PrintStream out, String scalingSource, String scalingUnavailableReason) {
        out.println();
        out.printf(Locale.ROOT, "requests   %d: ok %d, failed %d; labels correct %d of %d checked%n", requests(), ok,
                failed, correct, checked);
        if (errorsByKind.isEmpty()) {
            out.println("errors     none");
        } else {
            for (Map.Entry<String, Integer> error : errorsByKind.entrySet()) {
                out.printf(Locale.ROOT, "errors     %-12s %4d  e.g. %s%n", error.getKey(), error.getValue(),
                        errorExample.get(error.getKey()));
            }
        }
        out.println(retriesLine());
        int shown = 0;
        for (Map.Entry<String, Integer> wrong : wrongLabels.entrySet()) {
            if (shown++ == MAX_WRONG_SHOWN) {
                out.printf(Locale.ROOT, "wrong      ... and %d more kinds of wrong answer%n",
                        wrongLabels.size() - MAX_WRONG_SHOWN);
                break;
            }
            out.printf(Locale.ROOT, "wrong      %s (%d)%n", wrong.getKey(), wrong.getValue());
        }
        out.printf(Locale.ROOT, "latency    from the start moment, ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f%n",
                latencyMs(50), latencyMs(90), latencyMs(99), maxMs(), requests() == 0 ? 0 : latency.getMean() / 1000);
        out.printf(Locale.ROOT, "service    from each send, ms:       p50 %.1f  p90 %.1f  p99 %.1f  max %.1f%n",
                serviceMs(50), serviceMs(90), serviceMs(99), requests() == 0 ? 0 : service.getMaxValue() / 1000.0);
        out.printf(Locale.ROOT, "throughput %.1f ok/s (%d in %.2f s); the last request was sent %.1f ms after the start"
                + " moment%n", throughput(), ok, elapsedSeconds(), lastSentMs());
        out.println(scalingLine(scaling, scalingSource, scalingUnavailableReason));
    }

    /** What the service's pushback (503/429 with Retry-After) did to this run. */
    public String retriesLine() {
        return String.format(Locale.ROOT, "retries    %d requests retried (%d retries) after 503/429 with Retry-After;"
                + " 503 answers seen %d; %d still pushed back at the retry bounds", retried, retries, seen503,
                pushedBack);
    }

    static String scalingLine(ScalingSummary scaling, String source, String unavailableReason) {
        if (source == null) {
            return "workers    not sampled (no --timeline-url / --asg-name)";
        }
        if (scaling == null) {
            return "workers    unknown: " + source + " not available"
                    + (unavailableReason == null ? "" : " (" + unavailableReason + ")");
        }
        if (scaling.peak() < 0) {
            return String.format(Locale.ROOT, "workers    not reported; queue visible peak %d, in flight peak %d (%s)",
                    scaling.peakVisible(), scaling.peakInFlight(), source);
        }
        String back = scaling.peak() <= scaling.min()
                ? "stayed at " + scaling.min()
                : scaling.backToMinMillis().isPresent()
                ? String.format(Locale.ROOT, "back to min %d at +%.1f s", scaling.min(),
                        scaling.backToMinMillis().getAsLong() / 1000.0)
                : "not back to min " + scaling.min() + " while sampled";
        return String.format(Locale.ROOT,
                "workers    %d at start, peak %d at +%.1f s, %s; peak desired %d, queue visible %d, in flight %d (%s)",
                scaling.baseline(), scaling.peak(), scaling.peakAtMillis() / 1000.0, back, scaling.peakDesired(),
                scaling.peakVisible(), scaling.peakInFlight(), source);
    }
}
