package io.github.elasticimage.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One service JVM (web tier or classifier worker) started as its own process, like an instance in the cloud. Its output
 * is copied line by line to this process's stdout with a {@code [name]} prefix.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceProcess.class);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** Environment variable of a service's management port (web-service's application.yml: endpoints.all.port). */
    public static final String MANAGEMENT_PORT = "MANAGEMENT_PORT";

    private final String name;
    private final Process process;
    private final URI baseUrl;
    private final URI managementUrl;
    private final long startedNanos = System.nanoTime();
    private volatile int nice;
    private volatile java.util.function.Predicate<String> muted = line -> false;

    private ServiceProcess(String name, Process process, URI baseUrl, URI managementUrl, int nice) {
        this.name = name;
        this.process = process;
        this.baseUrl = baseUrl;
        this.managementUrl = managementUrl;
        this.nice = nice;
    }

    /**
     * Starts {@code java [jvmArgs] -jar jar} with the given extra environment; the service listens on {@code port}.
     * Its management port ({@link #MANAGEMENT_PORT}) is the one {@code env} names, else a free one, so several
     * services on one machine never clash on the default.
     */
    public static ServiceProcess start(String name, Path jar, List<String> jvmArgs, Map<String, String> env,
                                       String host, int port, PrintStream out) {
        return start(name, List.of(), Path.of(System.getProperty("java.home"), "bin", "java"), jar, jvmArgs, env, host,
                port, out, 0);
    }

    /**
     * As {@link #start(String, Path, List, Map, String, int, PrintStream)}, with another {@code java} executable and
     * run through {@code commandPrefix}: a command that runs the rest of the line, e.g. {@code taskset -c 1} to keep
     * the process on one core (empty: none), at CPU niceness {@code nice} (1-19, via {@code nice(1)}; 0 = normal
     * priority, and normal too where {@code nice} is not installed) until {@link #resetPriority()}: a JVM booting
     * beside working ones then takes only the CPU they leave.
     */
    public static ServiceProcess start(String name, List<String> commandPrefix, Path java, Path jar,
                                       List<String> jvmArgs, Map<String, String> env, String host, int port,
                                       PrintStream out, int nice) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("no such jar: " + jar.toAbsolutePath()
                    + " (build it first: make build, or mvn -DskipTests package)");
        }
        int niceness = nice > 0 && onPath("nice") && onPath("renice") ? Math.min(nice, 19) : 0;
        List<String> command = new ArrayList<>();
        if (niceness > 0) {
            // nice(1) execs the rest (the prefix execs java too): the process, and every thread the JVM starts, is
            // the JVM itself at this niceness.
            command.addAll(List.of("nice", "-n", Integer.toString(niceness)));
        }
        command.addAll(commandPrefix);
        command.add(java.toString());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(jar.toAbsolutePath().toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        builder.environment().put("MICRONAUT_SERVER_HOST", host);
        builder.environment().put("MICRONAUT_SERVER_PORT", Integer.toString(port));
        int managementPort = env.containsKey(MANAGEMENT_PORT) ? Integer.parseInt(env.get(MANAGEMENT_PORT))
                : LocalAwsServers.freePort(host);
        builder.environment().put(MANAGEMENT_PORT, Integer.toString(managementPort));
        builder.environment().put("PARENT_PID", Long.toString(ProcessHandle.current().pid()));
        try {
            Process process = builder.start();
            ServiceProcess service = new ServiceProcess(name, process, URI.create("http://" + host + ":" + port),
                    URI.create("http://" + host + ":" + managementPort), niceness);
            Thread pump = new Thread(() -> service.copyOutput(out), name + "-output");
            pump.setDaemon(true);
            pump.start();
            LOG.info("started {} (pid {}) on {}{}", name, process.pid(), service.baseUrl,
                    niceness > 0 ? " at niceness " + niceness + " until it is ready" : "");
            return service;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    private void copyOutput(PrintStream out) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!muted.test(line)) {
                    out.println("[" + name + "] " + line);
                }
            }
        } catch (IOException e) {
            LOG.debug("output of {} closed: {}", name, e.getMessage());
        }
    }

    /** Waits until {@code GET /health} answers 200; fails early if the process exits. */
    public void awaitHealthy(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        HttpRequest request = HttpRequest.newBuilder(baseUrl.resolve("/health")).timeout(Duration.ofSeconds(2)).build();
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + process.exitValue()
                        + " before it became healthy (see its [" + name + "] lines above)");
            }
            try {
                if (HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
        }
        throw new IllegalStateException(name + " was not healthy at " + baseUrl + "/health within " + timeout);
    }

    /** Drops the output lines that {@code filter} matches (e.g. the per-request lines of a warm-up) until changed. */
    public void mute(java.util.function.Predicate<String> filter) {
        muted = filter;
    }

    /** Seconds since this process was started. */
    public double secondsSinceStart() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    /** The CPU niceness it was started at (on top of this launcher's), 0 once {@link #resetPriority()} succeeded. */
    public int nice() {
        return nice;
    }

    /**
     * Back to normal CPU priority (this launcher's own niceness, usually 0; under {@code nice make run} the launcher's),
     * for every thread of the JVM: Linux keeps a niceness per thread
     * ({@code /proc/<pid>/task}), and threads the JVM starts later inherit it from the thread that starts them. Lowering
     * a niceness needs the privilege to (root or RLIMIT_NICE); without it the process keeps its niceness and this says
     * so once. Returns whether the process now runs at normal priority.
     */
    public boolean resetPriority() {
        if (nice == 0) {
            return true;
        }
        List<String> command = new ArrayList<>(List.of("renice", Integer.toString(ownNice()), "-p"));
        Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
        if (Files.isDirectory(tasks)) {
            try (var ids = Files.list(tasks)) {
                ids.map(task -> task.getFileName().toString()).forEach(command::add);
            } catch (IOException e) {
                command.add(Long.toString(process.pid())); // exited meanwhile; renice says so below
            }
        } else {
            command.add(Long.toString(process.pid())); // BSD, macOS: one niceness per process
        }
        try {
            Process renice = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(renice.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (renice.waitFor() == 0) {
                LOG.debug("{} (pid {}) back to normal priority", name, process.pid());
                nice = 0;
                return true;
            }
            LOG.warn("{} (pid {}) keeps niceness +{}: renice failed (lowering a niceness needs root or "
                    + "RLIMIT_NICE; set local.bootNice to 0 in the scaling policy to boot at normal priority): {}",
                    name, process.pid(), nice, output);
        } catch (IOException e) {
            LOG.warn("{} (pid {}) keeps niceness +{}: cannot run renice: {}", name, process.pid(), nice, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** This process's niceness: field 19 of /proc/self/stat on Linux; 0 where there is none. */
    static int ownNice() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[16]); // fields after the name start at 3 (state): nice is 19
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** One {@code GET /health}: true on 200, false on any other answer or none (not listening yet). */
    public boolean isHealthy() {
        HttpRequest request = HttpRequest.newBuilder(baseUrl.resolve("/health")).timeout(Duration.ofSeconds(2)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** Where the service's operations endpoints answer (web: /api/v1/status, /prometheus, the detailed /health). */
    public URI managementUrl() {
        return managementUrl;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Asks the process to stop (SIGTERM: graceful shutdown, in-flight work finishes), then kills it after grace. */
    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        // SIGTERM through the handle: Process.destroy() would also close our end of the output pipe, losing the lines
        // the service writes while it stops (its drain, a class-data cache being written) and failing its writes.
        process.toHandle().destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} (pid {}) did not stop within {}; killing it", name, process.pid(), grace);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        LOG.info("stopped {} (pid {})", name, process.pid());
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }
}
