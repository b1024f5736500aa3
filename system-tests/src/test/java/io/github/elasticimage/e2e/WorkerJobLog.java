package io.github.elasticimage.e2e;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Copies the services' output (as {@code LocalSystem} prefixes it) to the console and records every worker's
 * {@code job id=...} line: which worker processed which request, and, for finished jobs, its queue wait and total time.
 */
public final class WorkerJobLog extends OutputStream {

    /** One logged job; {@code queueWaitMs} and {@code totalMs} are -1 for a job that failed. */
    public record Job(String worker, String id, long queueWaitMs, long totalMs) {
    }

    private static final Pattern JOB_LINE = Pattern.compile(
            "\\[(worker-\\d+)] .* job id=([0-9a-f-]+) (?:.*queue_wait_ms=(\\d+) .*total_ms=(\\d+))?");

    private final PrintStream console;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final List<Job> jobs = new CopyOnWriteArrayList<>();

    public WorkerJobLog(PrintStream console) {
        this.console = console;
    }

    /** The stream to hand to {@code LocalSystem.start}. */
    public PrintStream printStream() {
        return new PrintStream(this, true, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) {
        console.write(b);
        if (b == '\n') {
            Matcher m = JOB_LINE.matcher(line.toString(StandardCharsets.UTF_8));
            if (m.find()) {
                jobs.add(new Job(m.group(1), m.group(2), m.group(3) == null ? -1 : Long.parseLong(m.group(3)),
                        m.group(4) == null ? -1 : Long.parseLong(m.group(4))));
            }
            line.reset();
        } else {
            line.write(b);
        }
    }

    /** How many jobs were logged so far. */
    public int size() {
        return jobs.size();
    }

    /** The jobs logged since the {@code from}-th, as a snapshot (the log keeps growing). */
    public List<Job> since(int from) {
        List<Job> all = List.copyOf(jobs);
        return all.subList(Math.min(from, all.size()), all.size());
    }

    /** Every job logged so far, as a snapshot. */
    public List<Job> all() {
        return List.copyOf(jobs);
    }
}
