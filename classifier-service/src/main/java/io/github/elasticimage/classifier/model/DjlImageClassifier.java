package io.github.elasticimage.classifier.model;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.github.elasticimage.classifier.config.ModelProperties;
import io.github.elasticimage.classifier.config.WorkerProperties;
import io.github.elasticimage.contract.ClassificationResult.Prediction;
import io.github.elasticimage.image.ImageLimits;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@link ImageClassifier} with DJL's PyTorch engine: one TorchScript model loaded and checked once, one
 * {@link Predictor} per calling thread (predictors are not thread-safe), and one model input buffer per calling thread,
 * which the preprocessing fills and PyTorch reads in place.
 */
@Singleton
public class DjlImageClassifier implements ImageClassifier, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DjlImageClassifier.class);
    private static final String CLASSPATH = "classpath:";

    private final ZooModel<ByteBuffer, float[]> model;
    private final List<String> labels;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final List<Predictor<ByteBuffer, float[]>> predictors = Collections.synchronizedList(new ArrayList<>());
    private final ThreadLocal<Predictor<ByteBuffer, float[]>> predictor;
    private final ThreadLocal<Input> input;

    public DjlImageClassifier(ModelProperties modelProperties, WorkerProperties workerProperties, ImageLimits limits) {
        long started = System.nanoTime();
        // PyTorch reads its thread counts once, when the engine starts.
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(workerProperties.intraOpThreads()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(workerProperties.interOpThreads()));
        Path modelFile = resolve(modelProperties.path(), "model");
        this.labels = readLabels(resolve(modelProperties.labels(), "labels"));
        this.decoder = new ImageDecoder(limits.maxPixels(), modelProperties.resize());
        this.preprocessor = Preprocessor.of(modelProperties);
        int inputFloats = 3 * modelProperties.inputSize() * modelProperties.inputSize();
        this.input = ThreadLocal.withInitial(() -> new Input(inputFloats));
        Criteria<ByteBuffer, float[]> criteria = Criteria.builder()
                .setTypes(ByteBuffer.class, float[].class)
                .optEngine("PyTorch")
                .optModelPath(modelFile)
                .optTranslator(new TensorTranslator(modelProperties.inputSize(), modelProperties.applySoftmax()))
                .build();
        NativeLibraryPreload.await();
        try {
            this.model = criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException | IOException e) {
            throw new IllegalStateException("cannot load model " + modelProperties.path() + ": " + e.getMessage(), e);
        }
        this.predictor = ThreadLocal.withInitial(() -> {
            Predictor<ByteBuffer, float[]> p = model.newPredictor();
            predictors.add(p);
            return p;
        });
        long loaded = System.nanoTime();
        checkOutput();
        LOG.info("model {} loaded in {} ms, checked in {} ms ({} labels, input {}x{}, intra-op {}, inter-op {})",
                modelFile.getFileName(), (loaded - started) / 1_000_000, (System.nanoTime() - loaded) / 1_000_000,
                labels.size(), modelProperties.inputSize(), modelProperties.inputSize(),
                workerProperties.intraOpThreads(), workerProperties.interOpThreads());
    }

    /**
     * One inference on a blank image: the model must return one score per label. (The JIT warm-up, on the inference
     * threads through the whole path, is {@link InferencePool}'s.)
     */
    private void checkOutput() {
        BufferedImage blank = new BufferedImage(preprocessor.size(), preprocessor.size(), BufferedImage.TYPE_INT_RGB);
        float[] scores = predict(preprocess(blank));
        if (scores.length != labels.size()) {
            throw new IllegalStateException("the model returns " + scores.length + " scores but the labels file has "
                    + labels.size() + " labels");
        }
    }

    @Override
    public Classification classify(byte[] image, int k) {
        long start = System.nanoTime();
        ByteBuffer tensor = preprocess(decoder.decode(image));
        long preprocessed = System.nanoTime();
        float[] probabilities = predict(tensor);
        long inferred = System.nanoTime();
        return new Classification(top(probabilities, k), preprocessed - start, inferred - preprocessed);
    }

    /** The model input for {@code image}, in this thread's buffer (valid until the thread's next image). */
    private ByteBuffer preprocess(BufferedImage image) {
        Input buffer = input.get();
        preprocessor.toTensor(image, buffer.floats());
        return buffer.bytes();
    }

    /** A direct buffer of native-order floats and its float view. */
    private record Input(ByteBuffer bytes, FloatBuffer floats) {
        Input(int floats) {
            this(ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()));
        }

        private Input(ByteBuffer bytes) {
            this(bytes, bytes.asFloatBuffer());
        }
    }

    private float[] predict(ByteBuffer input) {
        try {
            return predictor.get().predict(input);
        } catch (TranslateException e) {
            throw new IllegalStateException("inference failed: " + e.getMessage(), e);
        }
    }

    private List<Prediction> top(float[] probabilities, int k) {
        int n = Math.min(k, probabilities.length);
        int[] best = new int[n];
        java.util.Arrays.fill(best, -1);
        for (int i = 0; i < probabilities.length; i++) {
            for (int slot = 0; slot < n; slot++) {
                if (best[slot] < 0 || probabilities[i] > probabilities[best[slot]]) {
                    System.arraycopy(best, slot, best, slot + 1, n - slot - 1);
                    best[slot] = i;
                    break;
                }
            }
        }
        List<Prediction> result = new ArrayList<>(n);
        for (int index : best) {
            result.add(new Prediction(labels.get(index), probabilities[index]));
        }
        return result;
    }

    /** Number of labels (classes) of the loaded model. */
    public int labelCount() {
        return labels.size();
    }

    private static List<String> readLabels(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(line -> !line.isEmpty()).toList();
            if (lines.isEmpty()) {
                throw new IllegalStateException("labels file " + file + " is empty");
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read labels " + file, e);
        }
    }

    /** A file path, or a {@code classpath:} resource copied to a temporary file (DJL loads from files). */
    public static Path resolve(String location, String what) {
        if (!location.startsWith(CLASSPATH)) {
            Path path = Path.of(location);
            if (!Files.isRegularFile(path)) {
                throw new IllegalStateException("no " + what + " file at " + path.toAbsolutePath());
            }
            return path;
        }
        String resource = location.substring(CLASSPATH.length());
        try (InputStream in = DjlImageClassifier.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no " + what + " resource " + resource + " on the classpath");
            }
            Path dir = Files.createTempDirectory("classifier-model");
            Path file = dir.resolve(Path.of(resource).getFileName().toString());
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            file.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + resource, e);
        }
    }

    @PreDestroy
    @Override
    public void close() {
        synchronized (predictors) {
            predictors.forEach(Predictor::close);
            predictors.clear();
        }
        model.close();
    }
}
