package io.github.elasticimage.classifier.bench;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import io.github.elasticimage.classifier.model.DjlImageClassifier;
import io.github.elasticimage.classifier.model.ImageDecoder;
import io.github.elasticimage.classifier.model.Preprocessor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Does micro-batching raise throughput on this machine? The worker's model, decoder and preprocessing, but inference
 * on batches of {@code B} images ({@code B x 3 x 224 x 224}) instead of one at a time. Prints one {@code batch:} line
 * per batch size, with how many top-1 labels agree with batch size 1 (they must all agree). Used by
 * {@code make bench-batching}:
 * {@code java -cp classifier-service.jar io.github.elasticimage.classifier.bench.BatchingBench DIR THREADS INTRA_OP
 * ROUNDS B...}.
 */
public final class BatchingBench {

    private static final int SIZE = 224;
    /** The model to batch: the worker's by default, or another TorchScript file ({@code -Dbench.model=PATH}). */
    private static final String MODEL = System.getProperty("bench.model", "classpath:model/mobilenet_v2_int8.pt");

    private BatchingBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int intraOp = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        List<Integer> batchSizes = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            batchSizes.add(Integer.parseInt(args[i]));
        }
        System.setProperty("java.awt.headless", "true");
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOp));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        List<byte[]> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                images.add(Files.readAllBytes(file));
            }
        }
        ImageDecoder decoder = new ImageDecoder(50_000_000L, 256);
        Preprocessor preprocessor = new Preprocessor(256, SIZE, new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f});
        Criteria<List<float[]>, List<float[]>> criteria = Criteria.builder()
                .setTypes(listOf(float[].class), listOf(float[].class))
                .optEngine("PyTorch")
                .optModelPath(DjlImageClassifier.resolve(MODEL, "model"))
                .optTranslator(new BatchTranslator())
                .build();
        try (ZooModel<List<float[]>, List<float[]>> model = criteria.loadModel()) {
            int[] reference = null;
            for (int batch : batchSizes) {
                ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
                    Thread t = new Thread(r, "batch-bench");
                    t.setDaemon(true);
                    return t;
                });
                List<Predictor<List<float[]>, List<float[]>>> predictors = new ArrayList<>();
                ThreadLocal<Predictor<List<float[]>, List<float[]>>> predictor = ThreadLocal.withInitial(() -> {
                    Predictor<List<float[]>, List<float[]>> p = model.newPredictor();
                    synchronized (predictors) {
                        predictors.add(p);
                    }
                    return p;
                });
                int[] top1 = new int[images.size()];
                Work work = (from, to) -> {
                    List<float[]> inputs = new ArrayList<>();
                    for (int i = from; i < to; i++) {
                        inputs.add(preprocessor.toTensor(decoder.decode(images.get(i % images.size()))));
                    }
                    List<float[]> outputs = predictor.get().predict(inputs);
                    for (int i = from; i < to; i++) {
                        top1[i % images.size()] = argmax(outputs.get(i - from));
                    }
                };
                try {
                    run(pool, work, images.size() * 3, batch, threads);   // warm-up: predictors, JIT, this shape
                } catch (java.util.concurrent.ExecutionException e) {
                    String why = String.valueOf(e.getCause().getMessage()).lines()
                            .filter(l -> l.contains("reshape") || l.contains("Error") || l.contains("error"))
                            .findFirst().orElse(e.getCause().toString()).strip();
                    System.out.printf("batch: model=%s size=%d threads=%d intra_op=%d fails: %s%n",
                            Path.of(MODEL).getFileName(), batch, threads, intraOp, why);
                    pool.shutdown();
                    continue;
                }
                int total = images.size() * rounds;
                long start = System.nanoTime();
                run(pool, work, total, batch, threads);
                double seconds = (System.nanoTime() - start) / 1e9;
                pool.shutdown();
                predictors.forEach(Predictor::close);
                if (reference == null) {
                    reference = top1.clone();
                }
                int same = 0;
                for (int i = 0; i < top1.length; i++) {
                    same += top1[i] == reference[i] ? 1 : 0;
                }
                System.out.printf("batch: model=%s size=%d threads=%d intra_op=%d images=%d img_per_s=%.1f"
                                + " top1_same_as_first=%d/%d%n", Path.of(MODEL).getFileName(), batch, threads, intraOp,
                        total, total / seconds, same, top1.length);
            }
        }
    }

    @FunctionalInterface
    private interface Work {
        void run(int from, int to) throws Exception;
    }

    /** {@code threads} callers take the next {@code batch} images each until {@code total} are done. */
    private static void run(ExecutorService pool, Work work, int total, int batch, int threads) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int from = next.getAndAdd(batch); from < total; from = next.getAndAdd(batch)) {
                    work.run(from, Math.min(total, from + batch));
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
    }

    private static int argmax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }

    @SuppressWarnings("unchecked")
    private static <T> Class<List<T>> listOf(Class<T> element) {
        return (Class<List<T>>) (Class<?>) List.class;
    }

    /** {@code B} preprocessed images in, one {@code B x 3 x S x S} tensor through the model, {@code B} score rows out. */
    private static final class BatchTranslator implements NoBatchifyTranslator<List<float[]>, List<float[]>> {

        @Override
        public NDList processInput(TranslatorContext ctx, List<float[]> inputs) {
            int each = 3 * SIZE * SIZE;
            float[] stacked = new float[inputs.size() * each];
            for (int i = 0; i < inputs.size(); i++) {
                System.arraycopy(inputs.get(i), 0, stacked, i * each, each);
            }
            return new NDList(ctx.getNDManager().create(stacked, new Shape(inputs.size(), 3, SIZE, SIZE)));
        }

        @Override
        public List<float[]> processOutput(TranslatorContext ctx, NDList list) {
            NDArray scores = list.singletonOrThrow();
            long rows = scores.getShape().get(0);
            List<float[]> out = new ArrayList<>();
            for (long r = 0; r < rows; r++) {
                out.add(scores.get(r).toFloatArray());
            }
            return out;
        }
    }
}
