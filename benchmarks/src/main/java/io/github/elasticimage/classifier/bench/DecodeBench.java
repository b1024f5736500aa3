package io.github.elasticimage.classifier.bench;

import io.github.elasticimage.classifier.config.WorkerProperties;
import io.github.elasticimage.classifier.model.DjlImageClassifier;
import io.github.elasticimage.classifier.model.ImageDecoder;
import io.github.elasticimage.classifier.model.Preprocessor;
import io.github.elasticimage.image.ImageLimits;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The worker's Java work per image, on one thread, measured so that it can be compared on a busy machine: bytes
 * allocated per image (the thread's own allocation counter: deterministic to within a few per cent whatever else runs)
 * and the thread's CPU time per image (CPU time rather than wall time, so waiting for a core does not count; it still
 * varies by 10-20 % with the load, the caches and the CPU's clock: compare within one machine and one sitting). Two
 * lines, each after a fixed warm-up on the same thread:
 * <ul>
 *   <li>{@code decode:} the worker's decode and preprocessing ({@link ImageDecoder#decode}, then
 *       {@link Preprocessor#toTensor(java.awt.image.BufferedImage, FloatBuffer)} into a reused buffer), as
 *       {@link DjlImageClassifier#classify} runs them;</li>
 *   <li>{@code classify:} the whole {@link DjlImageClassifier#classify} (with inference on one intra-op thread, which
 *       PyTorch runs on the calling thread, so its native CPU counts; libtorch's native allocations do not);</li>
 * </ul>
 * and {@code jit_ms}, the JIT compile time spent during the measured rounds (near 0 means the warm-up sufficed).
 * {@code make bench-decode}: {@code DecodeBench DIR [ROUNDS] [WARMUP_ROUNDS] [--no-inference]}.
 */
public final class DecodeBench {

    private DecodeBench() {
    }

    /** Work on one image. */
    @FunctionalInterface
    private interface PerImage {
        void run(byte[] image);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "../shared/fixtures/imagenet-sample");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int warmupRounds = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        boolean inference = !List.of(args).contains("--no-inference");
        BenchSupport.configureProcess();
        List<byte[]> images = BenchSupport.images(dir);

        ImageDecoder decoder = new ImageDecoder(BenchSupport.MAX_PIXELS, BenchSupport.MODEL.resize());
        Preprocessor preprocessor = Preprocessor.of(BenchSupport.MODEL);
        // Into one direct buffer of the model's input size, as DjlImageClassifier preprocesses into its thread's buffer.
        int inputSize = BenchSupport.MODEL.inputSize();
        FloatBuffer input = ByteBuffer.allocateDirect(3 * inputSize * inputSize * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        measure("decode", images, rounds, warmupRounds, bytes -> preprocessor.toTensor(decoder.decode(bytes), input));

        if (inference) {
            WorkerProperties worker = new WorkerProperties(1, 1, 1, 1, 10, 20, "bench", Duration.ofMinutes(3));
            try (DjlImageClassifier classifier = new DjlImageClassifier(BenchSupport.MODEL, worker,
                    new ImageLimits(BenchSupport.MAX_PIXELS))) {
                // Fewer rounds: inference is about twice as dear as decoding, and its JIT is the same code.
                measure("classify", images, Math.max(1, rounds / 2), Math.max(1, warmupRounds / 2),
                        bytes -> classifier.classify(bytes, 5));
            }
        }
    }

    private static void measure(String name, List<byte[]> images, int rounds, int warmupRounds, PerImage work) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long thread = Thread.currentThread().getId();
        for (int round = 0; round < warmupRounds; round++) {
            images.forEach(work::run);
        }
        long jit0 = jit.getTotalCompilationTime();
        long alloc0 = threads.getThreadAllocatedBytes(thread);
        long cpu0 = threads.getCurrentThreadCpuTime();
        for (int round = 0; round < rounds; round++) {
            images.forEach(work::run);
        }
        long cpu = threads.getCurrentThreadCpuTime() - cpu0;
        long alloc = threads.getThreadAllocatedBytes(thread) - alloc0;
        long jitMs = jit.getTotalCompilationTime() - jit0;
        int total = rounds * images.size();
        System.out.printf("%s: alloc_kb_per_img=%.1f cpu_ms_per_img=%.2f images=%d warmup_images=%d jit_ms=%d%n",
                name, alloc / 1024.0 / total, cpu / 1e6 / total, total, warmupRounds * images.size(), jitMs);
    }
}
