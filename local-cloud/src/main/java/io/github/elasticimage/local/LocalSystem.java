package io.github.elasticimage.local;

import io.github.elasticimage.local.scaling.LocalAutoscaler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The whole system on one machine as processes: the {@link LocalAwsServers}, one web-service process and classifier
 * worker processes. {@code make run} and the system tests use this class.
 */
public final class LocalSystem implements AutoCloseable, LocalAutoscaler.WorkerPool {

    private static final Logger LOG = LoggerFactory.getLogger(LocalSystem.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /**
     * JVM options of the web process in local runs and tests (the container image sets its own, in its pom): a heap
     * bound, and exit on OutOfMemoryError rather than serve half-working (docs/reliability.md).
     */
    public static final String WEB_JVM_OPTIONS = "-Xmx512m -XX:+ExitOnOutOfMemoryError";
    /** {@link #WEB_JVM_OPTIONS} as arguments, for {@link Settings}. */
    public static final List<String> WEB_JVM_ARGS = List.of(WEB_JVM_OPTIONS.split(" "));
    /**
     * JVM options of each worker in local runs and tests: the local heap bound ({@code local-worker-jvm.options}), then
     * the options every worker runs with, the container image's too ({@code worker-jvm.options}, one file in
     * classifier-service/src/main/jib/app, packaged into this jar). Both are java argument files, one option per line.
     */
    public static final List<String> WORKER_JVM_ARGS = Stream.concat(
            jvmOptions("local-worker-jvm.options").stream(), jvmOptions("worker-jvm.options").stream()).toList();

    /**
     * What to run.
     *
     * @param host           loopback address every server binds to
     * @param webPort        web-service port
     * @param webJar         runnable web-service jar
     * @param classifierJar  runnable classifier-service jar
     * @param webJvmArgs     JVM options of the web process
     * @param workerJvmArgs  JVM options of each worker process
     * @param workerEnv      extra environment of each worker (e.g. WORKER_THREADS)
     * @param webEnv         extra environment of the web process (e.g. RESULT_TIMEOUT, SCALING_TIMELINE_URL)
     * @param workerCommand  command each worker's {@code java} runs through, e.g. {@code taskset -c 1} to keep the
     *                       workers on one core as on a one-core host (empty: none)
     * @param workerBootNice CPU niceness of a worker started by {@link #requestWorkers(int)} until it is ready
     *                       (the policy's local.bootNice; 0 = normal priority)
     * @param workerJvm      the workers' java and class-data cache ({@link WorkerJvm}; {@link WorkerJvm#plain()}: this
     *                       JVM, no cache); a missing cache is built before the first worker starts
     */
    public record Settings(String host, int webPort, Path webJar, Path classifierJar, List<String> webJvmArgs,
                           List<String> workerJvmArgs, Map<String, String> workerEnv, Map<String, String> webEnv,
                           List<String> workerCommand, int workerBootNice, WorkerJvm workerJvm) {

        public Settings(String host, int webPort, Path webJar, Path classifierJar, List<String> webJvmArgs,
                        List<String> workerJvmArgs, Map<String, String> workerEnv, Map<String, String> webEnv,
                        List<String> workerCommand, int workerBootNice) {
            this(host, webPort, webJar, classifierJar, webJvmArgs, workerJvmArgs, workerEnv, webEnv, workerCommand,
                    workerBootNice, WorkerJvm.plain());
        }

        public Settings(String host, int webPort, Path webJar, Path classifierJar, List<String> webJvmArgs,
                        List<String> workerJvmArgs, Map<String, String> workerEnv, Map<String, String> webEnv,
                        List<String> workerCommand) {
            this(host, webPort, webJar, classifierJar, webJvmArgs, workerJvmArgs, workerEnv, webEnv, workerCommand, 0);
        }

        public Settings(String host, int webPort, Path webJar, Path classifierJar, List<String> webJvmArgs,
                        List<String> workerJvmArgs, Map<String, String> workerEnv, Map<String, String> webEnv) {
            this(host, webPort, webJar, classifierJar, webJvmArgs, workerJvmArgs, workerEnv, webEnv, List.of());
        }

        public Settings(String host, int webPort, Path webJar, Path classifierJar, List<String> webJvmArgs,
                        List<String> workerJvmArgs, Map<String, String> workerEnv) {
            this(host, webPort, webJar, classifierJar, webJvmArgs, workerJvmArgs, workerEnv, Map.of());
        }
    }

    private final LocalAwsServers cloud;
    private final Settings settings;
    private final PrintStream out;
    private final ServiceProcess web;
    /** Healthy workers (model loaded, polling), oldest first. */
    private final List<ServiceProcess> workers = new CopyOnWriteArrayList<>();
    /** Workers started by {@link #requestWorkers(int)} that are not healthy yet. */
    private final List<ServiceProcess> booting = new CopyOnWriteArrayList<>();
    /** Workers told to stop (SIGTERM) that are still draining. */
    private final List<ServiceProcess> stopping = new CopyOnWriteArrayList<>();
    private final AtomicInteger workerSequence = new AtomicInteger();
    /** Start to healthy of the last worker that became healthy, in seconds; NaN before the first. */
    private volatile double lastBootSeconds = Double.NaN;
    private final ExecutorService lifecycle = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "worker-lifecycle");
        t.setDaemon(true);
        return t;
    });

    private LocalSystem(LocalAwsServers cloud, Settings settings, PrintStream out, ServiceProcess web) {
        this.cloud = cloud;
        this.settings = settings;
        this.out = out;
        this.web = web;
    }

    /**
     * The options of a java argument file beside this class: separated by white space or line ends, {@code #} starts a
     * comment (as the {@code java} launcher reads {@code @file}; quotes are not supported here, and none is needed).
     */
    static List<String> jvmOptions(String resource) {
        try (InputStream in = LocalSystem.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no " + resource + " beside " + LocalSystem.class.getName()
                        + " on the classpath: build local-cloud with Maven, which packages it");
            }
            List<String> options = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
                String content = line.replaceFirst("#.*", "").strip();
                if (!content.isEmpty()) {
                    options.addAll(List.of(content.split("\\s+")));
                }
            }
            return List.copyOf(options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the web tier and {@code workers} classifier workers, and waits until all are healthy. */
    public static LocalSystem start(LocalAwsServers cloud, Settings settings, int workers, PrintStream out) {
        Map<String, String> webEnv = new java.util.LinkedHashMap<>(cloud.serviceEnvironment());
        webEnv.putAll(settings.webEnv());
        ServiceProcess web = ServiceProcess.start("web", settings.webJar(), settings.webJvmArgs(), webEnv,
                settings.host(), settings.webPort(), out);
        LocalSystem stack = new LocalSystem(cloud, settings, out, web);
        try {
            // While the web tier boots: the workers' class-data cache, when it is missing (once per build).
            WorkerStartupCache.ensure(settings, stack.workerEnvironment("cache-training"), out);
            stack.scaleWorkersTo(workers);
            web.awaitHealthy(START_TIMEOUT);
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    /** Starts or stops worker processes until {@code desired} run; new workers are healthy (model loaded) on return. */
    public synchronized void scaleWorkersTo(int desired) {
        List<ServiceProcess> started = new ArrayList<>();
        while (workers.size() + started.size() < desired) {
            started.add(startWorker(0));
        }
        try {
            for (ServiceProcess worker : started) {
                worker.awaitHealthy(START_TIMEOUT);
                lastBootSeconds = worker.secondsSinceStart();
            }
        } catch (RuntimeException e) {
            started.forEach(worker -> worker.stop(Duration.ofSeconds(10)));
            throw e;
        }
        workers.addAll(started);
        while (workers.size() > desired) {
            ServiceProcess worker = workers.remove(workers.size() - 1);
            worker.stop(Duration.ofSeconds(60));
        }
    }

    private ServiceProcess startWorker(int nice) {
        int n = workerSequence.incrementAndGet();
        return startWorker("worker-" + n, settings, settings.workerJvm().startArgs(), workerEnvironment("worker-" + n),
                nice, out);
    }

    /** A worker's environment: the local servers', the settings' extra, its id. */
    Map<String, String> workerEnvironment(String id) {
        return workerEnvironment(cloud, settings, id);
    }

    /** A worker's environment with {@code settings}' extra: the local servers', the settings' extra, its id. */
    static Map<String, String> workerEnvironment(LocalAwsServers cloud, Settings settings, String id) {
        Map<String, String> env = new java.util.LinkedHashMap<>(cloud.serviceEnvironment());
        env.putAll(settings.workerEnv());
        env.put("WORKER_ID", id);
        return env;
    }

    /**
     * Starts one worker process the way {@code make run} does: through the settings' command prefix, with their java,
     * JVM options and class-data cache (when built), on a free port, at normal priority. The cold-start measurement
     * starts its workers through here too.
     */
    public static ServiceProcess startWorker(String name, Settings settings, Map<String, String> env,
                                             PrintStream out) {
        return startWorker(name, settings, settings.workerJvm().startArgs(), env, 0, out);
    }

    /**
     * The one launch path of a worker: {@code [nice -n N] [workerCommand] java [workerJvmArgs] [cacheArgs] -jar
     * classifier.jar}; {@code cacheArgs} are the cache's start options, or its training options for the training run
     * ({@link WorkerStartupCache}), so the cache is made by a worker started exactly as the ones that use it. With a
     * cache the jar is the cache's own copy of the classifier jar ({@link WorkerJvm#workerJar}).
     */
    static ServiceProcess startWorker(String name, Settings settings, List<String> cacheArgs, Map<String, String> env,
                                      int nice, PrintStream out) {
        List<String> args = new ArrayList<>(settings.workerJvmArgs());
        args.addAll(cacheArgs);
        return ServiceProcess.start(name, settings.workerCommand(), settings.workerJvm().java(),
                settings.workerJvm().workerJar(settings.classifierJar()), args, env,
                settings.host(), LocalAwsServers.freePort(settings.host()), out, nice);
    }

    /**
     * Starts or stops workers until {@code desired} are healthy or booting, without waiting: the autoscaler calls this
     * every period and must keep sampling while a JVM boots. New workers boot at the niceness
     * {@link Settings#workerBootNice()}, so the JVMs at work keep the CPU, and join {@link #readyWorkers()} at normal
     * priority once healthy.
     * Workers to remove are taken from those still booting first (they hold no work), then the newest healthy ones;
     * each gets SIGTERM and drains its jobs in flight in the background.
     */
    @Override
    public synchronized void requestWorkers(int desired) {
        for (ServiceProcess worker : workers) {
            if (!worker.isAlive()) {
                // Crashed (or killed from outside): replaced below, like an unhealthy instance in a group.
                LOG.warn("{} (pid {}) is gone; replacing it", worker.name(), worker.pid());
                workers.remove(worker);
            }
        }
        while (workers.size() + booting.size() < desired) {
            ServiceProcess worker = startWorker(settings.workerBootNice());
            booting.add(worker);
            lifecycle.execute(() -> awaitBoot(worker));
        }
        while (workers.size() + booting.size() > desired) {
            ServiceProcess worker = booting.isEmpty()
                    ? workers.remove(workers.size() - 1)
                    : booting.remove(booting.size() - 1);
            stopping.add(worker);
            lifecycle.execute(() -> {
                try {
                    worker.stop(Duration.ofSeconds(60));
                } finally {
                    stopping.remove(worker);
                }
            });
        }
    }

    private void awaitBoot(ServiceProcess worker) {
        try {
            worker.awaitHealthy(START_TIMEOUT);
        } catch (RuntimeException e) {
            boolean dropped;
            synchronized (this) {
                dropped = booting.remove(worker);
            }
            if (dropped) {
                LOG.warn("{} did not become healthy, dropped (the autoscaler starts another): {}", worker.name(),
                        e.getMessage());
                worker.stop(Duration.ofSeconds(5));
            }
            return;
        }
        double bootSeconds = worker.secondsSinceStart();
        int bootNice = worker.nice();
        // Back to normal priority before it counts as ready: from now on it takes jobs like the others.
        worker.resetPriority();
        synchronized (this) {
            if (booting.remove(worker)) {
                workers.add(worker);
                lastBootSeconds = bootSeconds;
                LOG.info("{} healthy after {} s{}: {} worker(s) ready, {} booting", worker.name(),
                        String.format(java.util.Locale.ROOT, "%.1f", bootSeconds),
                        bootNice > 0 ? " at niceness " + bootNice : "", workers.size(), booting.size());
            }
        }
    }

    /**
     * Drops the output lines of the web tier and the running workers that {@code filter} matches, until called again
     * ({@code line -> false} shows every line again).
     */
    public void muteOutput(java.util.function.Predicate<String> filter) {
        web.mute(filter);
        workers.forEach(worker -> worker.mute(filter));
    }

    /** Start to healthy of the worker that became healthy last, in seconds; NaN before any did. */
    @Override
    public double lastBootSeconds() {
        return lastBootSeconds;
    }

    /** Healthy workers that are not stopping (what the autoscaler reports as running). */
    @Override
    public int readyWorkers() {
        return (int) workers.stream().filter(ServiceProcess::isAlive).count();
    }

    /** Workers started but not healthy yet. */
    @Override
    public int bootingWorkers() {
        return booting.size();
    }

    /** Workers told to stop that are still draining their jobs in flight. */
    public int stoppingWorkers() {
        return stopping.size();
    }

    public URI webUrl() {
        return web.baseUrl();
    }

    /** The web tier's management port: {@code /api/v1/status}, {@code /prometheus} and the detailed {@code /health}. */
    public URI webManagementUrl() {
        return web.managementUrl();
    }

    public int runningWorkers() {
        return (int) workers.stream().filter(ServiceProcess::isAlive).count();
    }

    public List<ServiceProcess> workers() {
        return List.copyOf(workers);
    }

    /** What this system runs (jars, JVM options, the workers' JVM and cache). */
    public Settings settings() {
        return settings;
    }

    public LocalAwsServers cloud() {
        return cloud;
    }

    @Override
    public void close() {
        List<ServiceProcess> all;
        synchronized (this) {
            all = new ArrayList<>(workers);
            all.addAll(booting);
            all.addAll(stopping);
            booting.clear();
        }
        LOG.info("stopping {} worker(s) and the web tier", all.size());
        List<Thread> stoppers = new ArrayList<>();
        for (ServiceProcess worker : all) {
            stoppers.add(new Thread(() -> worker.stop(Duration.ofSeconds(30)), "stop-" + worker.name()));
        }
        stoppers.add(new Thread(() -> web.stop(Duration.ofSeconds(30)), "stop-web"));
        stoppers.forEach(Thread::start);
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        workers.clear();
        lifecycle.shutdownNow();
    }
}
