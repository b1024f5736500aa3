package io.github.elasticimage.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where one service process's CPU goes over a measured window, for {@code make bench}: CPU time by thread (from
 * {@code /proc/<pid>/task/<tid>/stat}, threads grouped by name without their number), and a Java Flight Recording of
 * the window (started and stopped with {@code jcmd}, settings {@code profile}) summarised as the methods most often on
 * top of a running Java thread's stack, the native methods threads were in, where memory was allocated, and GC and JIT
 * time. Every figure is divided by the requests of the window.
 */
final class ProcessProfile {

    /** Linux clock ticks per second of {@code /proc} CPU times (USER_HZ; 100 on every mainstream kernel). */
    private static final double TICKS_PER_SECOND = 100;
    /** Frames of these packages are the JDK's or a library's, not the place that asked for the work. */
    private static final List<String> LIBRARY_PREFIXES = List.of("java.", "jdk.", "sun.", "com.sun.", "kotlin.",
            "scala.");

    private final String role;
    private final long pid;
    private final Path recording;
    private final boolean recordingStarted;
    private final Map<String, Long> ticksBefore;

    private ProcessProfile(String role, long pid, Path recording, boolean recordingStarted,
                           Map<String, Long> ticksBefore) {
        this.role = role;
        this.pid = pid;
        this.recording = recording;
        this.recordingStarted = recordingStarted;
        this.ticksBefore = ticksBefore;
    }

    /** Starts recording {@code pid} ({@code role} names it in the lines) into {@code dir}/{@code role}.jfr. */
    static ProcessProfile start(String role, long pid, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path recording = dir.resolve(role + ".jfr").toAbsolutePath();
        Files.deleteIfExists(recording);
        boolean started = jcmd(pid, "JFR.start", "name=bench", "settings=profile");
        return new ProcessProfile(role, pid, recording, started, threadTicks(pid));
    }

    /** Stops the recording and returns the summary lines, CPU and memory per request over {@code requests}. */
    List<String> stop(int requests) throws IOException {
        Map<String, Long> ticksAfter = threadTicks(pid);
        List<String> lines = new ArrayList<>();
        lines.add(threadLine(ticksAfter, requests));
        if (!recordingStarted || !jcmd(pid, "JFR.stop", "name=bench", "filename=" + recording)
                || !Files.isRegularFile(recording)) {
            lines.add("jfr " + role + ": not recorded (jcmd JFR.start/JFR.stop failed; see the bench log)");
            return lines;
        }
        lines.addAll(jfrLines(RecordingFile.readAllEvents(recording), requests));
        return lines;
    }

    /** {@code cpu by thread, <role>: <group>=<ms per request> ...} over the window, the busiest groups first. */
    private String threadLine(Map<String, Long> after, int requests) {
        Map<String, Double> msPerRequest = new HashMap<>();
        after.forEach((name, ticks) -> {
            long used = ticks - ticksBefore.getOrDefault(name, 0L);
            if (used > 0) {
                msPerRequest.merge(name, used * 1000 / TICKS_PER_SECOND / requests, Double::sum);
            }
        });
        double total = msPerRequest.values().stream().mapToDouble(Double::doubleValue).sum();
        StringBuilder line = new StringBuilder(String.format("cpu by thread, %s, core-ms per request (total %.1f):",
                role, total));
        top(msPerRequest, 8).forEach((name, ms) -> line.append(String.format(" %s=%.2f", name, ms)));
        return line.toString();
    }

    /** CPU ticks (user + system) of each live thread of {@code pid}, summed by thread group name. */
    private static Map<String, Long> threadTicks(long pid) throws IOException {
        Map<String, Long> ticks = new HashMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return ticks;
        }
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path thread : threads.toList()) {
                String stat;
                try {
                    stat = Files.readString(thread.resolve("stat"));
                } catch (IOException e) {
                    continue;                                   // the thread ended meanwhile
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String[] fields = stat.substring(close + 2).split(" ");
                // After "pid (comm) ": state is field 3 of proc(5), so utime (14) and stime (15) are at 11 and 12.
                long used = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                ticks.merge(group(stat.substring(open + 1, close)), used, Long::sum);
            }
        }
        return ticks;
    }

    /** A thread's name without its sequence numbers: {@code inference-2} and {@code job-17} count as one group each. */
    static String group(String threadName) {
        String name = threadName;
        for (String shorter = name.replaceFirst("[-#_ ]?\\d+$", ""); !shorter.equals(name) && !shorter.isEmpty();
             shorter = name.replaceFirst("[-#_ ]?\\d+$", "")) {
            name = shorter;
        }
        return name;
    }

    private List<String> jfrLines(List<RecordedEvent> events, int requests) {
        Map<String, Double> javaTop = new HashMap<>();
        Map<String, Double> javaCaller = new HashMap<>();
        Map<String, Double> nativeTop = new HashMap<>();
        Map<String, Double> allocation = new HashMap<>();
        int javaSamples = 0;
        int nativeSamples = 0;
        double gcMs = 0;
        int gcs = 0;
        double jitMs = 0;
        int compilations = 0;
        for (RecordedEvent event : events) {
            switch (event.getEventType().getName()) {
                case "jdk.ExecutionSample" -> {
                    javaSamples++;
                    javaTop.merge(topFrame(event.getStackTrace()), 1.0, Double::sum);
                    javaCaller.merge(firstOwnFrame(event.getStackTrace()), 1.0, Double::sum);
                }
                case "jdk.NativeMethodSample" -> {
                    nativeSamples++;
                    nativeTop.merge(topFrame(event.getStackTrace()), 1.0, Double::sum);
                }
                case "jdk.ObjectAllocationSample" -> allocation.merge(firstOwnFrame(event.getStackTrace()),
                        event.getLong("weight") / 1048576.0 / requests, Double::sum);
                case "jdk.GarbageCollection" -> {
                    gcs++;
                    gcMs += event.getDuration().toNanos() / 1e6;
                }
                case "jdk.Compilation" -> {
                    compilations++;
                    jitMs += event.getDuration().toNanos() / 1e6;
                }
                default -> {
                }
            }
        }
        List<String> lines = new ArrayList<>();
        lines.add(String.format("jfr %s: java cpu samples %d, hottest methods (self): %s", role, javaSamples,
                percentages(javaTop, javaSamples, 6)));
        lines.add(String.format("jfr %s: java cpu samples by first frame outside the JDK: %s", role,
                percentages(javaCaller, javaSamples, 6)));
        lines.add(String.format("jfr %s: threads in native code (samples %d, waits included): %s", role,
                nativeSamples, percentages(nativeTop, nativeSamples, 4)));
        StringBuilder alloc = new StringBuilder();
        top(allocation, 4).forEach((site, mb) -> alloc.append(String.format(" %s=%.2f", site, mb)));
        lines.add(String.format("jfr %s: allocated MB per request by first frame outside the JDK (%.2f in all):%s;"
                        + " gc %d pauses %.0f ms, jit %d compilations %.0f ms in the window", role,
                allocation.values().stream().mapToDouble(Double::doubleValue).sum(), alloc, gcs, gcMs, compilations,
                jitMs));
        return lines;
    }

    private static String topFrame(RecordedStackTrace stack) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return "(no stack)";
        }
        return method(stack.getFrames().get(0));
    }

    /** The first frame, from the top, that is not in the JDK: the code that asked for the work. */
    private static String firstOwnFrame(RecordedStackTrace stack) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return "(no stack)";
        }
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            if (LIBRARY_PREFIXES.stream().noneMatch(type::startsWith)) {
                return method(frame);
            }
        }
        return method(stack.getFrames().get(0));
    }

    private static String method(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
    }

    private static String percentages(Map<String, Double> counts, int total, int n) {
        if (total == 0) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        top(counts, n).forEach((name, count) -> parts.add(String.format("%s %.0f%%", name, 100 * count / total)));
        return String.join(", ", parts);
    }

    private static Map<String, Double> top(Map<String, Double> values, int n) {
        Map<String, Double> top = new LinkedHashMap<>();
        values.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(n)
                .forEach(e -> top.put(e.getKey(), e.getValue()));
        return top;
    }

    /** Runs {@code jcmd pid command args...}; false (with its output on stdout) when it fails. */
    private static boolean jcmd(long pid, String... command) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            System.out.println("profile: no " + jcmd + " (a JDK, not a JRE, runs the bench)");
            return false;
        }
        List<String> line = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
        line.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || output.contains("Could not")) {
                System.out.println("profile: " + String.join(" ", line) + " failed: " + output.strip());
                return false;
            }
            return true;
        } catch (IOException e) {
            System.out.println("profile: " + String.join(" ", line) + " failed: " + e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
