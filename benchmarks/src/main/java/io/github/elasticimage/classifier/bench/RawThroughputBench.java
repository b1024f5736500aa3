package io.github.elasticimage.classifier.bench;

import io.github.elasticimage.classifier.config.WorkerProperties;
import io.github.elasticimage.classifier.model.DjlImageClassifier;
import io.github.elasticimage.image.ImageLimits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Raw classifier throughput on this machine, with the production code path (decode, preprocess, inference on the
 * bundled model): {@code threads} callers, each with its own Predictor, share one model, {@code intraOp} PyTorch
 * threads each. Prints one {@code raw:} line: images per second and the process's CPU per image over the measured
 * run, and the cores it may use ({@code cpus}; {@code make bench} runs the one-core case under {@code taskset -c 1}). Used by {@code make bench}:
 * {@code java -cp BENCHMARKS_CLASSPATH io.github.elasticimage.classifier.bench.RawThroughputBench DIR THREADS INTRA_OP ROUNDS}.
 */
public final class RawThroughputBench {

    private RawThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "../shared/fixtures/imagenet-sample");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int intraOp = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        BenchSupport.configureProcess();
        List<byte[]> images = BenchSupport.images(dir);
        WorkerProperties worker = new WorkerProperties(threads, threads, intraOp, 1, 10, 20, "bench",
                Duration.ofMinutes(3));
        try (DjlImageClassifier classifier = new DjlImageClassifier(BenchSupport.MODEL, worker,
                new ImageLimits(BenchSupport.MAX_PIXELS))) {
            BenchSupport.Work work = (from, to) -> {
                for (int i = from; i < to; i++) {
                    classifier.classify(images.get(i % images.size()), 5);
                }
            };
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            // Warm-up: every thread's predictor, and the JIT until this path's throughput stops rising (same rule as
            // the end-to-end half of make bench, so both figures are steady-state ones).
            double best = 0;
            for (int round = 0, flat = 0; round < 20 && flat < 2; round++) {
                long t0 = System.nanoTime();
                BenchSupport.run(pool, work, images.size(), 1, threads);
                double rate = images.size() / ((System.nanoTime() - t0) / 1e9);
                flat = rate > best * 1.03 ? 0 : flat + 1;
                best = Math.max(best, rate);
            }
            long rssWarm = rssMb();
            int total = images.size() * rounds;
            long cpu0 = processCpuNanos();
            long start = System.nanoTime();
            BenchSupport.run(pool, work, total, 1, threads);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuMsPerImage = (processCpuNanos() - cpu0) / 1e6 / total;
            pool.shutdown();
            System.out.printf("raw: threads=%d intra_op=%d cpus=%d images=%d img_per_s=%.1f ms_per_img=%.1f"
                            + " cpu_ms_per_img=%.1f rss_warm_mb=%d rss_after_mb=%d%n", threads, intraOp,
                    Runtime.getRuntime().availableProcessors(), total, total / seconds, seconds * 1000 / total,
                    cpuMsPerImage, rssWarm, rssMb());
        }
    }

    /**
     * CPU time this process has used (every thread: inference, JIT, GC), in nanoseconds: the raw CPU per image that
     * {@code make bench} compares the worker's with ({@code worker_cpu_ratio}).
     */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Resident set size of this process in MiB (Linux), -1 elsewhere. */
    static long rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
