package io.github.elasticimage.classifier.bench;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import io.github.elasticimage.classifier.config.ModelProperties;
import io.github.elasticimage.classifier.model.DjlImageClassifier;
import io.github.elasticimage.classifier.model.ImageDecoder;
import io.github.elasticimage.classifier.model.Preprocessor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Does micro-batching raise throughput on this machine? The worker's model, decoder and preprocessing, but inference
 * on batches of {@code B} images ({@code B x 3 x 224 x 224}) instead of one at a time. Prints one {@code batch:} line
 * per batch size, with how many top-1 labels agree with batch size 1 (they must all agree). Used by
 * {@code make bench-batching}:
 * {@code java -cp BENCHMARKS_CLASSPATH io.github.elasticimage.classifier.bench.BatchingBench DIR THREADS INTRA_OP
 * ROUNDS B...}.
 */
public final class BatchingBench {

    private static final int SIZE = BenchSupport.MODEL.inputSize();
    /** The model to batch: the worker's by default, or another TorchScript file ({@code -Dbench.model=PATH}). */
    private static final String MODEL = System.getProperty("bench.model", BenchSupport.MODEL.path());

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
        BenchSupport.configureProcess();
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOp));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        List<byte[]> images = BenchSupport.images(dir);
        ModelProperties settings = BenchSupport.MODEL;
        ImageDecoder decoder = new ImageDecoder(BenchSupport.MAX_PIXELS, settings.resize());
        Preprocessor preprocessor = Preprocessor.of(settings);
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
                BenchSupport.Work work = (from, to) -> {
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
                    BenchSupport.run(pool, work, images.size() * 3, batch, threads);   // warm-up: predictors, JIT, this shape
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
                BenchSupport.run(pool, work, total, batch, threads);
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
