package io.github.elasticimage.bench;

import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.e2e.ServiceJars;
import io.github.elasticimage.http.MultipartForm;
import io.github.elasticimage.local.LocalAwsServers;
import io.github.elasticimage.local.LocalSystem;
import io.github.elasticimage.local.SharedLocalAwsServers;
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
 * {@code make bench}, end-to-end half: the full local system (HTTP -> S3 -> SQS -> worker -> SQS -> HTTP) with one
 * worker process configured as the raw benchmark's best configuration. After a warm-up that lasts until throughput
 * stops rising (the JIT compilers of every process), it measures (1) throughput of 200 requests (the 40 fixture photos
 * x 5) at concurrency 100, median of three bursts, with the CPU each process spent per request; (2) at low load, each
 * request's latency minus the worker's own processing time (download + decode + inference, from the stored result);
 * (3) what single loopback S3/SQS calls cost; (4) throughput with the worker alone on one core and everything else on
 * the other, against raw on one core. Writes the lines, the {@code bench:} line last, to
 * {@code target/bench-e2e.txt}; the raw figures come in as {@code -Dbench.raw} and {@code -Dbench.rawOneCore}. Not part
 * of {@code make test}.
 */
@Tag("bench")
class EndToEndBench {

    private static final Path FIXTURES = Path.of(System.getProperty("shared.dir", "../../shared"), "fixtures",
            "imagenet-sample");
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");
    private final HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8))
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void bench() throws Exception {
        double raw = Double.parseDouble(System.getProperty("bench.raw", "0"));
        String threads = System.getProperty("bench.workerThreads", "1");
        String intraOp = System.getProperty("bench.intraOp", "2");
        int workers = Integer.getInteger("bench.workers", 1);
        List<byte[]> photos = photos();
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
            List<Double> warm = warmUp(url, photos, requests, concurrency);
            Throughput throughput = throughput(url, photos, requests, concurrency);
            List<Double> overhead = lowLoadOverhead(cloud, url, photos);
            String callLine = loopbackCalls(cloud, photos.get(0));
            // (4) the AWS layout on this box: the worker alone on one core (cpu 0), the web tier, the servers and the
            // load client on the other (cpu 1). Compared with raw on one core (1 thread x 1 intra-op, measured by
            // the raw half), this measures what the derived projection above estimates.
            double rawOneCore = Double.parseDouble(System.getProperty("bench.rawOneCore", "0"));
            String dedicated = dedicatedCore(stack, url, photos, requests, concurrency, rawOneCore);

            double seconds = throughput.seconds();
            double p50Overhead = overhead.get(overhead.size() / 2);
            double e2e = requests / seconds;
            String line = String.format("bench: raw=%.1f e2e=%.1f ratio=%.2f p50_overhead_ms=%.1f", raw, e2e,
                    raw > 0 ? e2e / raw : 0, p50Overhead);
            String detail = String.format("e2e: requests=%d concurrency=%d workers=%d worker_threads=%s intra_op=%s"
                            + " seconds=%.2f (median of %s) overhead_ms p10=%.1f p50=%.1f p90=%.1f", requests,
                    concurrency, workers, threads, intraOp, seconds,
                    format(throughput.bursts()), overhead.get(overhead.size() / 10), p50Overhead,
                    overhead.get(overhead.size() * 9 / 10));
            String warmLine = String.format("warm-up: %d rounds of %d requests, img/s %s", warm.size(), requests,
                    warm.stream().map(r -> String.format("%.1f", r)).toList());
            detail = warmLine + "\n" + detail + "\n" + callLine + "\n" + throughput.cpuLine() + "\n"
                    + throughput.projection(raw) + "\n" + dedicated;
            System.out.println(detail);
            System.out.println(line);
            Files.writeString(Path.of("target", "bench-e2e.txt"), detail + "\n" + line + "\n");
        }
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
     * until then): at least {@code bench.warmupMinRounds} rounds and until four in a row gain under 3%, within
     * {@code bench.warmupMaxSeconds}. Returns each round's img/s.
     */
    private List<Double> warmUp(URI url, List<byte[]> photos, int requests, int concurrency) throws Exception {
        long warmDeadline = System.nanoTime() + Duration.ofSeconds(Long.getLong("bench.warmupMaxSeconds", 600))
                .toNanos();
        int minRounds = Integer.getInteger("bench.warmupMinRounds", 20);
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
     * from full load to single requests) is not counted. Returns each request's latency minus the worker's own
     * processing time (download + decode + inference, from the stored result), in ms, sorted.
     */
    private List<Double> lowLoadOverhead(LocalAwsServers cloud, URI url, List<byte[]> photos) {
        List<Double> overhead = new ArrayList<>();
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
            var timings = Messages.parseResult(json).timings();
            if (i >= photos.size()) {
                overhead.add(latencyMs - (timings.downloadMs() + timings.decodeMs() + timings.inferenceMs()));
            }
        }
        Collections.sort(overhead);
        return overhead;
    }

    /**
     * (3) What each loopback SQS/S3 call costs, now that the servers are warm: the floor of the overhead. Returns the
     * {@code loopback calls} line.
     */
    private static String loopbackCalls(LocalAwsServers cloud, byte[] probe) {
        String probeQueue = cloud.queueUrl(cloud.resources().deadLetterQueue());
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

    /**
     * Pins the worker to cpu 0 and everything else (web tier, this JVM with the servers and the client) to cpu 1 with
     * {@code taskset}, runs two warm-up and three measured bursts, and unpins. Returns the {@code dedicated core:} line.
     */
    private String dedicatedCore(LocalSystem stack, URI url, List<byte[]> photos, int requests, int concurrency,
                                 double rawOneCore) throws Exception {
        if (Runtime.getRuntime().availableProcessors() != 2 || !Files.isExecutable(Path.of("/usr/bin/taskset"))) {
            return "dedicated core: not measured (needs exactly 2 cores and /usr/bin/taskset)";
        }
        List<Long> others = new ArrayList<>(List.of(ProcessHandle.current().pid()));
        ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("web-service"))
                .forEach(p -> others.add(p.pid()));
        long workerPid = stack.workers().get(0).pid();
        try {
            pin(workerPid, "0");
            for (long pid : others) {
                pin(pid, "1");
            }
            bursts(url, photos, requests, concurrency, 2);                  // warm-up in the new layout
            List<Double> seconds = bursts(url, photos, requests, concurrency, 3);
            double e2e = requests / median(seconds);
            return String.format("dedicated core: worker alone on cpu 0, web + servers + client on cpu 1: e2e=%.1f"
                            + " img/s (median of %s s); raw on one core (1x1)=%.1f; ratio=%.2f", e2e, format(seconds),
                    rawOneCore, rawOneCore > 0 ? e2e / rawOneCore : 0);
        } finally {
            pin(workerPid, "0,1");
            for (long pid : others) {
                pin(pid, "0,1");
            }
        }
    }

    /** Sets the CPU affinity of every thread of process {@code pid}. */
    private static void pin(long pid, String cpus) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/taskset", "-a", "-p", "-c", cpus, Long.toString(pid))
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

    private CompletableFuture<String> send(URI url, byte[] photo) {
        HttpRequest request = MultipartForm.create().file("myfile", "p.jpg", "image/jpeg", photo)
                .postChunked(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(120))
                        .header("Accept", "application/json"))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + r.statusCode() + " " + r.body());
            }
            return r.body();
        });
    }
}
