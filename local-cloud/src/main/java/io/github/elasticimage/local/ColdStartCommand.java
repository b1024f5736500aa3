package io.github.elasticimage.local;

import io.github.elasticimage.http.MultipartForm;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code make cold-start}: how long a new worker process takes from its start to its first answer, with the rest of
 * the system already running (issue #16's {@code cold_start_s}). A request is submitted to the web tier's
 * {@code POST /classify} while no worker runs; once it waits on the request queue, a worker is started through
 * {@link LocalSystem#startWorker} (the launch path of {@code make run}: same java, JVM options and class-data cache);
 * the figure is the time from that process start to the HTTP answer. It also prints when the worker's {@code /health}
 * first answered 200 (ready: model loaded and warmed up), the CPU seconds the worker used up to its answer (steadier
 * than wall-clock time on a busy machine) and its RSS after the answer. The median of {@code --runs} starts is the
 * figure; each run is printed.
 *
 * <p>{@link #measure} does the same against a running {@link LocalSystem} (the end-to-end bench calls it): it stops
 * that system's workers first (and waits 21 s for their last long polls to end), so that only the new worker can
 * answer. The measured workers long-poll with {@code RECEIVE_WAIT_SECONDS=1}, so their own last polls end quickly.
 */
@Command(name = "cold-start", mixinStandardHelpOptions = true,
        description = "Time a new worker from process start to its first answer against a running local system.")
public final class ColdStartCommand implements Callable<Integer> {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);
    /**
     * Long-poll wait of the measured workers: short, so that the last poll of a stopped one ends before the next
     * request (its first receive finds the request waiting, so the wait does not change the figure).
     */
    private static final int RECEIVE_WAIT_SECONDS = 1;
    /** The longest long poll a worker may have open (RECEIVE_WAIT_SECONDS' bound, WorkerProperties). */
    private static final int MAX_RECEIVE_WAIT_SECONDS = 20;

    @Option(names = "--runs", defaultValue = "3", description = "Worker starts measured (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--burst", defaultValue = "0",
            description = "After the first answer, this many requests at once to the new worker; their seconds are "
                    + "printed as burst_s (what the JIT warm-up saves). Default: ${DEFAULT-VALUE} (none).")
    int burst;

    @Option(names = "--warmup-images", description = "MODEL_WARMUP_RUNS of the worker (default: the worker's own).")
    Integer warmupImages;

    @Mixin
    LaunchOptions launch = new LaunchOptions();

    @Option(names = "--cache-dir", defaultValue = ".local-cloud/worker-cache",
            description = "Class-data cache folder, make run's by default, so a cache built there is reused "
                    + "(default: ${DEFAULT-VALUE}).")
    Path cacheDir;

    @Option(names = "--data-dir", defaultValue = "target/cold-start",
            description = "S3 data and the services' output log, cold-start.log (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    /** One worker start. */
    public record Run(double readySeconds, double answerSeconds, double cpuSeconds, long rssMb, double burstSeconds) {
    }

    /** The runs of one measurement and the worker JVM they used. */
    public record Result(String jvm, String cache, List<Run> runs) {

        /** The figure: median seconds from process start to the first answer. */
        public double coldStartSeconds() {
            return median(runs.stream().map(Run::answerSeconds).toList());
        }

        public double readySeconds() {
            return median(runs.stream().map(Run::readySeconds).toList());
        }

        /** {@code cold_start_s=... (median of [...]) ready_s=... rss_mb=... jvm=...}. */
        public String line() {
            double burst = median(runs.stream().map(Run::burstSeconds).toList());
            return String.format(java.util.Locale.ROOT, "cold_start_s=%.2f (median of %s) ready_s=%.2f cpu_s=%.2f%s "
                            + "rss_mb=%d cache=%s jvm=\"%s\"", coldStartSeconds(),
                    runs.stream().map(r -> String.format(java.util.Locale.ROOT, "%.2f", r.answerSeconds())).toList(),
                    readySeconds(), median(runs.stream().map(Run::cpuSeconds).toList()), burst > 0 ? String.format(java.util.Locale.ROOT, " burst_s=%.2f", burst) : "",
                    runs.stream().mapToLong(Run::rssMb).max().orElse(0), cache, jvm);
        }

        private static double median(List<Double> values) {
            List<Double> sorted = values.stream().sorted().toList();
            return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
        }
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("cold-start.log");
        try (PrintStream out = new PrintStream(Files.newOutputStream(log), true)) {
            String host = "127.0.0.1";
            // A short long poll for the training run too, whose last poll must not take the first measured request.
            Map<String, String> workerEnv = new java.util.LinkedHashMap<>(Map.of("RECEIVE_WAIT_SECONDS",
                    Integer.toString(RECEIVE_WAIT_SECONDS)));
            if (warmupImages != null) {
                workerEnv.put("MODEL_WARMUP_RUNS", Integer.toString(warmupImages));
            }
            WorkerJvm jvm = WorkerJvm.resolve(launch.workerCache, launch.workerJavaHome, cacheDir, launch.classifierJar,
                    LocalSystem.WORKER_JVM_ARGS);
            System.out.println("cold-start: worker " + jvm.describe() + "; services' output in " + log);
            try (LocalAwsServers cloud = LocalAwsServers.start(host, 0, 0, dataDir.resolve("s3"),
                    LocalResources.defaults());
                 LocalSystem stack = LocalSystem.start(cloud, new LocalSystem.Settings(host,
                         LocalAwsServers.freePort(host), launch.webJar, launch.classifierJar, LocalSystem.WEB_JVM_ARGS,
                         LocalSystem.WORKER_JVM_ARGS, workerEnv, Map.of(), launch.workerCommand, 0, jvm), 0, out)) {
                Result result = measure(stack, runs, burst, out, System.out);
                System.out.println(result.line());
            }
        }
        return 0;
    }

    /**
     * Starts {@code runs} workers one after another on {@code stack} (whose workers are stopped first) and times each
     * from process start to the answer of a request queued before it started; the workers are the stack's own
     * (its settings' java, cache, JVM options, command prefix and environment).
     *
     * @param burst    requests sent at once after the first answer (0: none), timed as {@link Run#burstSeconds()}
     * @param out      where the workers' output goes
     * @param progress where each run's line goes
     */
    public static Result measure(LocalSystem stack, int runs, int burst, PrintStream out, PrintStream progress)
            throws InterruptedException {
        return measure(stack, stack.settings(), runs, burst, out, progress);
    }

    /**
     * As {@link #measure(LocalSystem, int, int, PrintStream, PrintStream)}, the workers started from {@code workers}
     * (their java, class-data cache, JVM options, command prefix and extra environment; jar and host as the stack's)
     * rather than the stack's own settings: the end-to-end bench runs its stack with its own worker settings and
     * measures the cold start of {@code make run}'s workers ({@link #makeRunWorkers}). Their class-data cache is built
     * first when it is missing, as {@code make run} does ({@link WorkerStartupCache}).
     */
    public static Result measure(LocalSystem stack, LocalSystem.Settings workers, int runs, int burst,
                                 PrintStream out, PrintStream progress) throws InterruptedException {
        if (stack.runningWorkers() > 0) {
            stack.scaleWorkersTo(0);
            // A stopped worker's last long poll stays open in the SQS server until its wait ends, and would take (and
            // hide for the visibility timeout) the next request: let those polls end first.
            Thread.sleep(Duration.ofSeconds(MAX_RECEIVE_WAIT_SECONDS + 1).toMillis());
        }
        if (workers.workerJvm().needsTraining()) {
            Map<String, String> env = LocalSystem.workerEnvironment(stack.cloud(), workers, "cache-training");
            env.put("RECEIVE_WAIT_SECONDS", Integer.toString(RECEIVE_WAIT_SECONDS));
            WorkerStartupCache.ensure(workers, env, out);
            Thread.sleep(Duration.ofSeconds(RECEIVE_WAIT_SECONDS).toMillis() + 500);
        }
        LocalSystem.Settings settings = workers;
        WorkerJvm jvm = settings.workerJvm();
        List<Run> results = new ArrayList<>();
        byte[] image = syntheticImage();
        URI classify = URI.create(stack.webUrl() + "/classify");
        String queueUrl = stack.cloud().queueUrl(stack.cloud().resources().requestQueue());
        for (int i = 1; i <= runs; i++) {
            HttpRequest request = MultipartForm.create().file("myfile", "cold-start.png", "image/png", image)
                    .post(HttpRequest.newBuilder(classify).timeout(ANSWER_TIMEOUT)).build();
            CompletableFuture<HttpResponse<String>> answer = HTTP.sendAsync(request,
                    HttpResponse.BodyHandlers.ofString());
            awaitQueued(stack.cloud(), queueUrl, answer);
            long started = System.nanoTime();
            Map<String, String> env = LocalSystem.workerEnvironment(stack.cloud(), settings, "cold-start-" + i);
            env.put("RECEIVE_WAIT_SECONDS", Integer.toString(RECEIVE_WAIT_SECONDS));
            ServiceProcess worker = LocalSystem.startWorker("cold-start-" + i, settings, env, out);
            try {
                long ready = 0;
                while (ready == 0 && worker.isAlive() && System.nanoTime() - started < ANSWER_TIMEOUT.toNanos()) {
                    if (worker.isHealthy()) {
                        ready = System.nanoTime();
                    } else {
                        Thread.sleep(10);
                    }
                }
                HttpResponse<String> response;
                try {
                    response = answer.get(ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("no answer from the web tier for run " + i + ": " + e, e);
                }
                long answered = System.nanoTime();
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("run " + i + ": the web tier answered " + response.statusCode()
                            + ": " + response.body());
                }
                double cpu = cpuSeconds(worker.pid());
                long rss = rssMb(worker.pid());
                double burstSeconds = burst > 0 ? burst(classify, image, burst) : 0;
                Run run = new Run(seconds(ready == 0 ? answered : ready, started), seconds(answered, started), cpu,
                        rss, burstSeconds);
                results.add(run);
                progress.printf(java.util.Locale.ROOT, "cold-start: run %d/%d: ready_s=%.2f first_answer_s=%.2f "
                        + "cpu_s=%.2f burst_s=%.2f rss_mb=%d (answer: %s)%n", i, runs, run.readySeconds(),
                        run.answerSeconds(), run.cpuSeconds(), run.burstSeconds(), run.rssMb(), response.body().strip());
            } finally {
                worker.stop(Duration.ofSeconds(30));
            }
            Thread.sleep(Duration.ofSeconds(RECEIVE_WAIT_SECONDS).toMillis() + 500);
        }
        return new Result(jvm.describe(), jvm.cacheName(), results);
    }

    /**
     * The workers of a default {@code make run} ({@code LocalCloudCommand} with no option but the jars) on the stack
     * {@code stack} describes: its jar and host, make run's worker JVM options, no extra environment, no command
     * prefix, and its worker JVM and class-data cache ({@value WorkerJvm#DEFAULT_MODE}) with the cache in
     * {@code cacheDir} (make run's is {@code .local-cloud/worker-cache}).
     */
    public static LocalSystem.Settings makeRunWorkers(LocalSystem.Settings stack, Path cacheDir) {
        WorkerJvm jvm = WorkerJvm.resolve(WorkerJvm.DEFAULT_MODE, null, cacheDir, stack.classifierJar(),
                LocalSystem.WORKER_JVM_ARGS);
        return new LocalSystem.Settings(stack.host(), stack.webPort(), stack.webJar(), stack.classifierJar(),
                stack.webJvmArgs(), LocalSystem.WORKER_JVM_ARGS, Map.of(), stack.webEnv(), List.of(), 0, jvm);
    }

    /** Seconds until {@code n} requests sent at once are all answered (each must be a 200). */
    private static double burst(URI classify, byte[] image, int n) {
        long started = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            answers.add(HTTP.sendAsync(MultipartForm.create().file("myfile", "burst.png", "image/png", image)
                    .post(HttpRequest.newBuilder(classify).timeout(ANSWER_TIMEOUT)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.join();
            if (response.statusCode() != 200) {
                throw new IllegalStateException("burst: the web tier answered " + response.statusCode() + ": "
                        + response.body());
            }
        }
        return seconds(System.nanoTime(), started);
    }

    /** Waits until the request is on the queue (the web tier stored and queued it), so no worker start races it. */
    private static void awaitQueued(LocalAwsServers cloud, String queueUrl, CompletableFuture<?> answer)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (answer.isDone()) {
                throw new IllegalStateException("the web tier answered before any worker ran: " + answer.join());
            }
            String visible = cloud.sqs().getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNamesWithStrings(
                    "ApproximateNumberOfMessages")).attributesAsStrings().get("ApproximateNumberOfMessages");
            if (visible != null && Integer.parseInt(visible) > 0) {
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("the request did not reach the request queue within 30 s");
    }

    private static double seconds(long end, long start) {
        return (end - start) / 1e9;
    }

    /**
     * CPU seconds (user + system, all threads) a process has used, from /proc (0 where there is none): on a busy
     * machine a steadier comparison than the wall-clock figures, which count the waits for the cores.
     */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // After the command: state is field 3, utime 14 and stime 15 (proc(5)), in clock ticks (100 per second).
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Resident set of a process in MB, from /proc (0 where there is none). */
    static long rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** A 320x240 PNG (a gradient): what it shows does not matter, only that a worker decodes and classifies it. */
    static byte[] syntheticImage() {
        BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(200, 120, 40), 320, 240, new Color(30, 60, 160)));
        g.fillRect(0, 0, 320, 240);
        g.dispose();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(new CommandLine(new ColdStartCommand()).execute(args));
    }
}
