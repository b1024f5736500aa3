package io.github.elasticimage.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The whole system on one machine: the {@link LocalCloud} servers, one web-service process and classifier worker
 * processes. {@code make run} and the end-to-end test both use this class.
 */
public final class LocalStack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

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
     */
    public record Settings(String host, int webPort, Path webJar, Path classifierJar, List<String> webJvmArgs,
                           List<String> workerJvmArgs, Map<String, String> workerEnv) {
    }

    private final LocalCloud cloud;
    private final Settings settings;
    private final PrintStream out;
    private final ServiceProcess web;
    private final List<ServiceProcess> workers = new CopyOnWriteArrayList<>();
    private final AtomicInteger workerSequence = new AtomicInteger();

    private LocalStack(LocalCloud cloud, Settings settings, PrintStream out, ServiceProcess web) {
        this.cloud = cloud;
        this.settings = settings;
        this.out = out;
        this.web = web;
    }

    /** Starts the web tier and {@code workers} classifier workers, and waits until all are healthy. */
    public static LocalStack start(LocalCloud cloud, Settings settings, int workers, PrintStream out) {
        ServiceProcess web = ServiceProcess.start("web", settings.webJar(), settings.webJvmArgs(),
                cloud.serviceEnvironment(), settings.host(), settings.webPort(), out);
        LocalStack stack = new LocalStack(cloud, settings, out, web);
        try {
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
            int n = workerSequence.incrementAndGet();
            Map<String, String> env = new java.util.LinkedHashMap<>(cloud.serviceEnvironment());
            env.putAll(settings.workerEnv());
            env.put("WORKER_ID", "worker-" + n);
            started.add(ServiceProcess.start("worker-" + n, settings.classifierJar(), settings.workerJvmArgs(), env,
                    settings.host(), LocalCloud.freePort(settings.host()), out));
        }
        try {
            for (ServiceProcess worker : started) {
                worker.awaitHealthy(START_TIMEOUT);
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

    public URI webUrl() {
        return web.baseUrl();
    }

    public int runningWorkers() {
        return (int) workers.stream().filter(ServiceProcess::isAlive).count();
    }

    public List<ServiceProcess> workers() {
        return List.copyOf(workers);
    }

    public LocalCloud cloud() {
        return cloud;
    }

    @Override
    public void close() {
        LOG.info("stopping {} worker(s) and the web tier", workers.size());
        List<Thread> stoppers = new ArrayList<>();
        for (ServiceProcess worker : workers) {
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
    }
}
