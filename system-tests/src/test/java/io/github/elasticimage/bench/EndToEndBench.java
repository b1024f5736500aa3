package io.github.elasticimage.bench;

import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.e2e.ServiceJars;
import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.ColdStartCommand;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.LocalSystem;
import io.github.elasticimage.local.ServiceProcess;
import io.github.elasticimage.local.SharedLocalAwsServers;
import io.github.elasticimage.local.WorkerJvm;
import org.junit.jupiter.api.Tag;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.waiters.S3Waiter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code make bench}, end-to-end half. In order: (0) a fresh {@code make run} and 100 requests at once the moment it
 * prints ready ({@code first_burst_s}); then the full local system (HTTP -> S3 -> SQS -> worker -> SQS -> HTTP) with one
 * worker in the raw benchmark's best configuration: (1) after a warm-up that lasts until throughput stops rising (the
 * JIT compilers of every process), throughput of 200 requests (the 40 fixture photos x 5) at concurrency 100, median
 * of three bursts, with the CPU each process spent per request ({@code web_cpu_ms}), then two more bursts with the web
 * tier and the worker profiled (CPU by thread, JFR); (2) at low load, each request's latency minus the worker's own
 * processing time, and the parts of the latency; (3) what single loopback S3/SQS calls cost; (4) a new worker's start
 * to its first answer ({@code cold_start_s}: {@code make cold-start}'s measurement, {@link ColdStartCommand#measure},
 * on this stack, the worker started as {@code make run} starts one, from its class-data cache); (5) a worker alone on one core and everything else on the other, against
 * raw on one core ({@code dedicated_ratio}, {@code worker_cpu_ratio}). Writes the lines, the {@code bench:} line last,
 * to {@code target/bench-e2e.txt}; the raw figures come in as {@code -Dbench.raw}, {@code -Dbench.rawOneCore} and
 * {@code -Dbench.rawOneCoreCpuMs}. Not part of {@code make test}. docs/performance.md describes every figure.
 */
@Tag("bench")
class EndToEndBench {

    private static final Path FIXTURES = Path.of(System.getProperty("shared.dir", "../../shared"), "fixtures",
            "imagenet-sample");
    private static final Path TASKSET = Path.of("/usr/bin/taskset");
    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    /**
     * The workers' class-data cache, {@code make run}'s own: the first burst's {@code make run} builds it when missing
     * (once per classifier jar) and the cold-start measurement uses it, as a user's second {@code make run} would.
     */
    private static final Path WORKER_CACHE = ROOT.resolve(".local-cloud").resolve("worker-cache");
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");
    private final HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8))
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void bench() throws Exception {
        double raw = Double.parseDouble(System.getProperty("bench.raw", "0"));
        double rawOneCore = Double.parseDouble(System.getProperty("bench.rawOneCore", "0"));
        double rawOneCoreCpuMs = Double.parseDouble(System.getProperty("bench.rawOneCoreCpuMs", "0"));
        String threads = System.getProperty("bench.workerThreads", "1");
        String intraOp = System.getProperty("bench.intraOp", "2");
        int workers = Integer.getInteger("bench.workers", 1);
        List<byte[]> photos = photos();
        List<String> report = new ArrayList<>();
        // (0) Before anything else runs here: a fresh `make run` and 100 requests at once.
        FirstBurst first = firstBurst(photos, 100);
        report.add(first.line());
        LocalAwsServers cloud = SharedLocalAwsServers.get();
        LocalSystem.Settings settings = new LocalSystem.Settings("127.0.0.1", LocalAwsServers.freePort("127.0.0.1"),
                ServiceJars.web(), ServiceJars.classifier(),
                LocalSystem.WEB_JVM_ARGS, LocalSystem.WORKER_JVM_ARGS,
                Map.of("WORKER_THREADS", threads, "INTRA_OP_THREADS", intraOp));
        try (LocalSystem stack = LocalSystem.start(cloud, settings, workers, System.out)) {
            URI url = URI.create(stack.webUrl() + "/classify");
            for (byte[] photo : photos) {                      // warm-up: JIT, connections, predictors
                send(url, photo).join();
            }
            int requests = photos.size() * 5;
            int concurrency = 100;
            // (1) This box shared by everything, at steady state.
            List<Double> warm = warmUp(url, photos, requests, concurrency,
                    Integer.getInteger("bench.warmupMinRounds", 20));
            Throughput throughput = throughput(url, photos, requests, concurrency);
            double seconds = throughput.seconds();
            double e2e = requests / seconds;
            report.add(warmLine(warm, requests));
            report.add(String.format("e2e: requests=%d concurrency=%d workers=%d worker_threads=%s intra_op=%s"
                            + " seconds=%.2f (median of %s)", requests, concurrency, workers, threads, intraOp,
                    seconds, format(throughput.bursts())));
            report.add(throughput.cpuLine());
            report.add(throughput.projection(raw));
            // Where the CPU goes: two more bursts with the web tier and the worker profiled (JFR), so the recording's
            // own cost stays out of the figures above.
            report.addAll(profiled(url, photos, requests, concurrency, Map.of(
                    "web", webPids().get(0), "worker", stack.workers().get(0).pid())));
            // (2) Latency at low load, and where its milliseconds go.
            LowLoad lowLoad = lowLoad(cloud, url, photos);
            report.add(lowLoad.line());
            report.add(loopbackCalls(cloud, photos.get(0)));
            // (3) A new worker process, the stack already running and otherwise idle: start to first answer, measured
            // as make cold-start does, the worker started as make run starts one (its java and class-data cache).
            ColdStartCommand.Result coldStarts = ColdStartCommand.measure(stack,
                    ColdStartCommand.makeRunWorkers(stack.settings(), WORKER_CACHE),
                    Integer.getInteger("bench.coldStarts", 3), 0, System.out, System.out);
            double coldStart = coldStarts.coldStartSeconds();
            report.add("cold start: new worker process (make run's launch path) to its first answer, stack idle: "
                    + coldStarts.line());
            // (4) The AWS layout on this box: a worker alone on one core, everything else on the other.
            Dedicated dedicated = dedicatedCore(cloud, url, photos, requests, concurrency, rawOneCore,
                    rawOneCoreCpuMs);
            report.addAll(dedicated.lines());

            String line = String.format("bench: raw=%.1f e2e=%.1f ratio=%.2f dedicated_ratio=%s worker_cpu_ratio=%s"
                            + " web_cpu_ms=%.1f cold_start_s=%.2f first_burst_s=%.2f p50_overhead_ms=%.1f", raw, e2e,
                    raw > 0 ? e2e / raw : 0, dedicated.ratio(), dedicated.cpuRatio(), throughput.cpuMs().get("web"),
                    coldStart, first.lastSeconds(), lowLoad.p50Overhead());
            String detail = String.join("\n", report);
            System.out.println(detail);
            System.out.println(line);
            Files.writeString(Path.of("target", "bench-e2e.txt"), detail + "\n" + line + "\n");
        }
    }

    private static String warmLine(List<Double> warm, int requests) {
        return String.format("warm-up: %d rounds of %d requests, img/s %s", warm.size(), requests,
                warm.stream().map(r -> String.format("%.1f", r)).toList());
    }

    /** The pids of the web-service processes this JVM started. */
    private static List<Long> webPids() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("web-service"))
                .map(ProcessHandle::pid).toList();
    }

    /**
     * Two bursts with each process of {@code pids} (by role) profiled ({@link ProcessProfile}); their summary lines.
     */
    private List<String> profiled(URI url, List<byte[]> photos, int requests, int concurrency, Map<String, Long> pids)
            throws Exception {
        Path dir = Path.of("target", "bench-jfr");
        Map<String, ProcessProfile> profiles = new java.util.TreeMap<>();
        for (Map.Entry<String, Long> role : pids.entrySet()) {
            profiles.put(role.getKey(), ProcessProfile.start(role.getKey(), role.getValue(), dir));
        }
        int bursts = 2;
        bursts(url, photos, requests, concurrency, bursts);
        List<String> lines = new ArrayList<>();
        for (ProcessProfile profile : profiles.values()) {
            lines.addAll(profile.stop(requests * bursts));
        }
        return lines;
    }

    /** The fixture photos, in name order. */
    private static List<byte[]> photos() throws IOException {
        List<byte[]> photos = new ArrayList<>();
        try (Stream<Path> files = Files.list(FIXTURES)) {
            for (Path file : files.sorted().toList()) {
                photos.add(Files.readAllBytes(file));
            }
        }
        return photos;
    }

    /**
     * (1) Warm-up: bursts of {@code requests} at {@code concurrency} until the JIT compilers of the web tier, the
     * worker and the servers are done (on 2 cores they keep compiling for thousands of requests, and throughput climbs
     * until then): at least {@code minRounds} rounds and until four in a row gain under 3%, within
     * {@code bench.warmupMaxSeconds}. Returns each round's img/s.
     */
    private List<Double> warmUp(URI url, List<byte[]> photos, int requests, int concurrency, int minRounds)
            throws Exception {
        long warmDeadline = System.nanoTime() + Duration.ofSeconds(Long.getLong("bench.warmupMaxSeconds", 600))
                .toNanos();
        List<Double> warm = new ArrayList<>();
        double best = 0;
        int roundsWithoutGain = 0;
        while (warm.size() < minRounds || roundsWithoutGain < 4) {
            double rate = requests / burst(url, photos, requests, concurrency);
            warm.add(rate);
            System.out.printf("warm-up round %d: %.1f img/s%n", warm.size(), rate);
            roundsWithoutGain = rate > best * 1.03 ? 0 : roundsWithoutGain + 1;
            best = Math.max(best, rate);
            if (System.nanoTime() > warmDeadline) {
                System.out.printf("warm-up stopped after %d rounds (bench.warmupMaxSeconds) before throughput"
                        + " settled%n", warm.size());
                break;
            }
        }
        return warm;
    }

    /**
     * (1) Measured: three bursts of {@code requests}; the median one is the e2e figure (one short burst varies from the
     * next, see docs/performance.md). CPU is taken over all three.
     */
    private Throughput throughput(URI url, List<byte[]> photos, int requests, int concurrency) throws Exception {
        Map<String, Long> cpuBefore = cpuByRole();
        List<Double> bursts = bursts(url, photos, requests, concurrency, 3);
        Map<String, Long> cpuAfter = cpuByRole();
        int measured = requests * bursts.size();
        Map<String, Double> cpuMs = new java.util.LinkedHashMap<>();   // per request, by role
        cpuAfter.forEach((role, nanos) -> cpuMs.put(role,
                (nanos - cpuBefore.getOrDefault(role, 0L)) / 1e6 / measured));
        return new Throughput(bursts, measured, cpuMs);
    }

    /**
     * The measured bursts (seconds each), how many requests they sent together, and the CPU each role spent per
     * request over them (milliseconds).
     */
    private record Throughput(List<Double> bursts, int measured, Map<String, Double> cpuMs) {

        /** The e2e figure's burst duration: the median. */
        double seconds() {
            return median(bursts);
        }

        String cpuLine() {
            StringBuilder cpu = new StringBuilder("cpu_ms_per_request");
            cpuMs.forEach((role, ms) -> cpu.append(String.format(" %s=%.1f", role, ms)));
            return cpu.toString();
        }

        /**
         * Derived, not measured end to end: on a host that runs only the worker (AWS), throughput is bounded by the
         * worker's own CPU per image; raw's CPU per image is cores / raw.
         */
        String projection(double raw) {
            int cores = Runtime.getRuntime().availableProcessors();
            double workerMs = cpuMs.get("workers");
            double usedMs = cpuMs.values().stream().mapToDouble(Double::doubleValue).sum();
            double rawMs = raw > 0 ? cores * 1000.0 / raw : 0;
            return String.format("cpu per image: raw=%.1f worker=%.1f everything=%.1f core-ms;"
                            + " this box used %.0f%% of its %d cores; a host running only the worker would reach about"
                            + " %.2f of raw (raw/worker CPU per image, derived)", rawMs, workerMs, usedMs,
                    100 * usedMs * measured / 1000 / (bursts.stream().mapToDouble(Double::doubleValue).sum() * cores),
                    cores, workerMs > 0 ? rawMs / workerMs : 0);
        }
    }

    /**
     * (2) Low load, on warm servers: one request at a time, three passes over the photos; the first pass (the switch
     * from full load to single requests) is not counted. The overhead of a request is its latency minus the worker's
     * own processing time (download + decode + inference, from the stored result); the line splits the latency, by
     * median, into: the web tier's two ends (the upload and its S3 put before the request is queued, the receive of
     * the answer and the HTTP response after), the wait from the web tier's SQS send until a worker has received it,
     * and the worker's job (download, decode, inference, then the result's S3 put beside the answer's SQS send).
     */
    private LowLoad lowLoad(LocalAwsServers cloud, URI url, List<byte[]> photos) {
        List<Double> overhead = new ArrayList<>();
        Map<String, List<Double>> parts = new java.util.LinkedHashMap<>();
        S3Waiter resultWaiter = S3Waiter.builder().client(cloud.s3()).overrideConfiguration(w -> w
                .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(20))).maxAttempts(250)).build();
        for (int i = 0; i < photos.size() * 3; i++) {
            byte[] photo = photos.get(i % photos.size());
            long t0 = System.nanoTime();
            String body = send(url, photo).join();
            double latencyMs = (System.nanoTime() - t0) / 1e6;
            Matcher m = ID.matcher(body);
            if (!m.find()) {
                throw new IllegalStateException("no id in " + body);
            }
            // The worker stores the result while it sends the answer, so the caller can be answered first.
            resultWaiter.waitUntilObjectExists(b -> b.bucket(cloud.resources().outputBucket())
                    .key(Messages.resultKey(m.group(1))));
            String json = cloud.s3().getObjectAsBytes(b -> b.bucket(cloud.resources().outputBucket())
                    .key(Messages.resultKey(m.group(1)))).asString(StandardCharsets.UTF_8);
            var t = Messages.parseResult(json).timings();
            if (i >= photos.size()) {
                double own = t.downloadMs() + t.decodeMs() + t.inferenceMs();
                overhead.add(latencyMs - own);
                parts.computeIfAbsent("latency", k -> new ArrayList<>()).add(latencyMs);
                parts.computeIfAbsent("web_in_and_out", k -> new ArrayList<>()).add(
                        latencyMs - t.queueWaitMs() - t.totalMs());
                parts.computeIfAbsent("queue_wait", k -> new ArrayList<>()).add((double) t.queueWaitMs());
                parts.computeIfAbsent("download", k -> new ArrayList<>()).add((double) t.downloadMs());
                parts.computeIfAbsent("decode", k -> new ArrayList<>()).add((double) t.decodeMs());
                parts.computeIfAbsent("inference", k -> new ArrayList<>()).add((double) t.inferenceMs());
                parts.computeIfAbsent("store_and_answer", k -> new ArrayList<>()).add(t.totalMs() - own);
            }
        }
        Collections.sort(overhead);
        return new LowLoad(overhead, parts);
    }

    /** Low-load overheads (ms, sorted) and each part of the latency per request (ms, in request order). */
    private record LowLoad(List<Double> overhead, Map<String, List<Double>> parts) {

        double p50Overhead() {
            return overhead.get(overhead.size() / 2);
        }

        String line() {
            StringBuilder medians = new StringBuilder();
            parts.forEach((part, ms) -> medians.append(String.format(" %s=%.1f", part, median(ms))));
            return String.format("low load, one request at a time: overhead_ms p10=%.1f p50=%.1f p90=%.1f;"
                            + " median ms:%s", overhead.get(overhead.size() / 10), p50Overhead(),
                    overhead.get(overhead.size() * 9 / 10), medians);
        }
    }

    /**
     * (3) What each loopback SQS/S3 call costs, now that the servers are warm: the floor of the overhead. Returns the
     * {@code loopback calls} line.
     */
    private static String loopbackCalls(LocalAwsServers cloud, byte[] probe) {
        // A queue of its own: the web tier's dead-letter watcher would take probes sent to the dead-letter queue.
        String probeQueue = cloud.sqs().createQueue(b -> b.queueName("bench-probe")).queueUrl();
        long put = 0;
        long get = 0;
        long sendNs = 0;
        long receive = 0;
        int probes = 100;
        int probeWarmup = 300;                              // this JVM's own SDK clients are cold until here
        for (int i = -probeWarmup; i < probes; i++) {
            String key = "bench-probe-" + i;
            long t0 = System.nanoTime();
            cloud.s3().putObject(b -> b.bucket(cloud.resources().inputBucket()).key(key),
                    software.amazon.awssdk.core.sync.RequestBody.fromBytes(probe));
            long t1 = System.nanoTime();
            cloud.s3().getObjectAsBytes(b -> b.bucket(cloud.resources().inputBucket()).key(key));
            long t2 = System.nanoTime();
            cloud.sqs().sendMessage(b -> b.queueUrl(probeQueue).messageBody("probe"));
            long t3 = System.nanoTime();
            var received = cloud.sqs().receiveMessage(b -> b.queueUrl(probeQueue).waitTimeSeconds(1)).messages();
            long t4 = System.nanoTime();
            received.forEach(m -> cloud.sqs().deleteMessage(b -> b.queueUrl(probeQueue)
                    .receiptHandle(m.receiptHandle())));
            if (i < 0) {
                continue;
            }
            put += t1 - t0;
            get += t2 - t1;
            sendNs += t3 - t2;
            receive += t4 - t3;
        }
        return String.format("loopback calls, mean ms: s3_put=%.1f s3_get=%.1f sqs_send=%.1f"
                + " sqs_receive=%.1f (a request makes 2 S3 puts, 1 get, 2 sends, 2 receives on its path)",
                put / 1e6 / probes, get / 1e6 / probes, sendNs / 1e6 / probes, receive / 1e6 / probes);
    }

    /** The dedicated-core lines, {@code dedicated_ratio} and {@code worker_cpu_ratio} (figures or n/a). */
    private record Dedicated(List<String> lines, String ratio, String cpuRatio) {
    }

    /**
     * (4) The AWS layout on this box: the web tier and this JVM (the SQS and S3 servers and the load client) on cpu 0
     * ({@code taskset -a -p}), and a new worker alone on cpu 1, its java started through {@code taskset -c 1} (so the
     * JVM sizes its GC and JIT threads for one core) with its default threads: one inference thread per core it may
     * use, one intra-op thread, as raw on one core runs. Warmed up until throughput is flat (the web tier and servers are warm already), three measured bursts,
     * then two profiled ones. Compared with raw on one core: throughput ({@code dedicated_ratio}) and CPU per image
     * ({@code worker_cpu_ratio}).
     */
    private Dedicated dedicatedCore(LocalAwsServers cloud, URI url, List<byte[]> photos, int requests,
                                    int concurrency, double rawOneCore, double rawOneCoreCpuMs) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores < 2 || !Files.isExecutable(TASKSET)) {
            return new Dedicated(List.of("dedicated core: not measured (needs 2 cores and " + TASKSET + ")"), "n/a",
                    "n/a");
        }
        List<Long> others = new ArrayList<>(List.of(ProcessHandle.current().pid()));
        others.addAll(webPids());
        Map<String, String> env = new java.util.LinkedHashMap<>(cloud.serviceEnvironment());
        env.put("WORKER_ID", "worker-dedicated");           // its defaults: one inference thread per core it may use
        ServiceProcess worker = null;
        try {
            for (long pid : others) {
                pin(pid, "0");
            }
            // The workers' one launch path, through taskset, on this JVM without a cache, as raw on one core runs.
            LocalSystem.Settings oneCore = new LocalSystem.Settings("127.0.0.1", 0, ServiceJars.web(),
                    ServiceJars.classifier(), LocalSystem.WEB_JVM_ARGS, LocalSystem.WORKER_JVM_ARGS, Map.of(),
                    Map.of(), List.of(TASKSET.toString(), "-c", "1"), 0, WorkerJvm.plain());
            worker = LocalSystem.startWorker("worker-dedicated", oneCore, env, System.out);
            worker.awaitHealthy(Duration.ofMinutes(2));
            List<Double> warm = warmUp(url, photos, requests, concurrency,
                    Integer.getInteger("bench.dedicatedWarmupMinRounds", 10));
            Throughput measured = throughput(url, photos, requests, concurrency);
            double e2e = requests / measured.seconds();
            double workerMs = measured.cpuMs().get("workers");
            List<String> lines = new ArrayList<>();
            lines.add("dedicated core, " + warmLine(warm, requests));
            lines.add(String.format("dedicated core: worker alone on cpu 1 (default threads: 1 inference, 1 intra-op), web +"
                            + " servers + client on cpu 0: e2e=%.1f img/s (median of %s s); raw on one core=%.1f img/s;"
                            + " worker cpu per image %.1f core-ms, raw on one core %.1f", e2e,
                    format(measured.bursts()), rawOneCore, workerMs, rawOneCoreCpuMs));
            lines.add("dedicated core: " + measured.cpuLine());
            lines.addAll(profiled(url, photos, requests, concurrency, Map.of("worker-1core", worker.pid())));
            return new Dedicated(lines, rawOneCore > 0 ? String.format("%.2f", e2e / rawOneCore) : "n/a",
                    rawOneCoreCpuMs > 0 ? String.format("%.2f", workerMs / rawOneCoreCpuMs) : "n/a");
        } finally {
            if (worker != null) {
                worker.stop(Duration.ofSeconds(30));
            }
            for (long pid : others) {
                pin(pid, "0-" + (cores - 1));
            }
        }
    }

    /** A fresh {@code make run}'s first 100 requests: seconds to ready, to the first and the last answer. */
    private record FirstBurst(double readySeconds, int requests, int answered, double firstSeconds,
                              double lastSeconds, Map<Integer, Integer> statuses) {

        String line() {
            return String.format("first burst: a fresh make run printed ready after %.1f s; %d requests sent at once"
                            + " then: first answer %.2f s, last %.2f s, HTTP statuses %s", readySeconds, requests,
                    firstSeconds, lastSeconds, statuses);
        }
    }

    /**
     * (0) The first burst a new user sees: {@code make run} (the Makefile's own target, default settings, its ports
     * and data folder moved aside so it runs beside anything else; the workers' class-data cache in make run's own
     * folder, {@link #WORKER_CACHE}, built there before ready when missing) in a new process; when it prints
     * {@code ready:},
     * {@code requests} requests at once (the photos in turn); then Ctrl-C's SIGTERM to it. Its output goes to
     * {@code target/bench-first-burst.log}.
     */
    private FirstBurst firstBurst(List<byte[]> photos, int requests) throws Exception {
        String host = "127.0.0.1";
        Path data = Path.of("target", "bench-first-burst").toAbsolutePath();
        deleteRecursively(data);
        int port = LocalAwsServers.freePort(host);
        List<String> command = List.of("make", "--no-print-directory", "-C", ROOT.toString(), "run",
                "PORT=" + port, "MANAGEMENT_PORT=" + LocalAwsServers.freePort(host),
                "RUN_ARGS=--sqs-port " + LocalAwsServers.freePort(host) + " --s3-port "
                        + LocalAwsServers.freePort(host) + " --autoscaler-port " + LocalAwsServers.freePort(host)
                        + " --data-dir " + data + " --worker-cache-dir " + WORKER_CACHE);
        Path log = Path.of("target", "bench-first-burst.log");
        long t0 = System.nanoTime();
        Process make = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(make.getInputStream(),
                    StandardCharsets.UTF_8)); var out = Files.newBufferedWriter(log)) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    if (line.startsWith("ready:")) {
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.completeExceptionally(new IllegalStateException("make run ended before ready: see " + log));
        }, "make-run-output");
        pump.setDaemon(true);
        pump.start();
        try {
            ready.get(10, TimeUnit.MINUTES);                 // a first make run may build its jars first
            double readySeconds = (System.nanoTime() - t0) / 1e9;
            URI url = URI.create("http://" + host + ":" + port + "/classify");
            Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentSkipListMap<>();
            List<Double> answeredAt = Collections.synchronizedList(new ArrayList<>());
            long start = System.nanoTime();
            List<CompletableFuture<?>> answers = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                answers.add(http.sendAsync(request(url, photos.get(i % photos.size())),
                        HttpResponse.BodyHandlers.discarding()).handle((response, error) -> {
                            answeredAt.add((System.nanoTime() - start) / 1e9);
                            statuses.merge(error != null ? -1 : response.statusCode(), 1, Integer::sum);
                            return null;
                        }));
            }
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            Collections.sort(answeredAt);
            return new FirstBurst(readySeconds, requests, statuses.getOrDefault(200, 0), answeredAt.get(0),
                    answeredAt.get(answeredAt.size() - 1), statuses);
        } finally {
            make.descendants().filter(p -> p.info().commandLine().orElse("").contains("local-cloud"))
                    .forEach(ProcessHandle::destroy);                     // SIGTERM, as Ctrl-C: stops everything
            if (!make.waitFor(2, TimeUnit.MINUTES)) {
                make.descendants().forEach(ProcessHandle::destroyForcibly);
                make.destroyForcibly();
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    /** Sets the CPU affinity of every thread of process {@code pid}. */
    private static void pin(long pid, String cpus) throws Exception {
        Process p = new ProcessBuilder(TASKSET.toString(), "-a", "-p", "-c", cpus, Long.toString(pid))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("taskset -a -p -c " + cpus + " " + pid + " failed");
        }
    }

    /** {@code n} bursts one after the other; their durations in seconds. */
    private List<Double> bursts(URI url, List<byte[]> photos, int requests, int concurrency, int n) throws Exception {
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            seconds.add(burst(url, photos, requests, concurrency));
        }
        return seconds;
    }

    private static double median(List<Double> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    private static List<String> format(List<Double> seconds) {
        return seconds.stream().map(b -> String.format("%.2f", b)).toList();
    }

    /** Sends {@code requests} requests, {@code concurrency} at a time, released at one moment; returns seconds. */
    private double burst(URI url, List<byte[]> photos, int requests, int concurrency) throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(concurrency);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            done.add(callers.submit(() -> {
                go.await();
                for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                    try {
                        send(url, photos.get(i % photos.size())).join();
                    } catch (RuntimeException e) {
                        failed.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        long start = System.nanoTime();
        go.countDown();
        for (Future<?> f : done) {
            f.get(10, TimeUnit.MINUTES);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        callers.shutdown();
        assertEquals(0, failed.get(), "failed requests in a burst of " + requests);
        return seconds;
    }

    /**
     * CPU time so far of the web process, the worker processes, and this JVM (the SQS and S3 servers plus the bench
     * client), in nanoseconds: shows where the machine's cores go end to end.
     */
    private static Map<String, Long> cpuByRole() {
        Map<String, Long> cpu = new java.util.LinkedHashMap<>();
        cpu.put("web", 0L);
        cpu.put("workers", 0L);
        ProcessHandle.current().descendants().forEach(p -> {
            String command = p.info().commandLine().orElse("");
            long nanos = p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
            if (command.contains("web-service")) {
                cpu.merge("web", nanos, Long::sum);
            } else if (command.contains("classifier-service")) {
                cpu.merge("workers", nanos, Long::sum);
            }
        });
        cpu.put("servers_and_client", ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos)
                .orElse(0L));
        return cpu;
    }

    private static HttpRequest request(URI url, byte[] photo) {
        return MultipartForm.create().file("myfile", "p.jpg", "image/jpeg", photo)
                .post(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(120))
                        .header("Accept", "application/json"))
                .build();
    }

    private CompletableFuture<String> send(URI url, byte[] photo) {
        return http.sendAsync(request(url, photo), HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + r.statusCode() + " " + r.body());
            }
            return r.body();
        });
    }
}
