package io.github.elasticimage.classifier.bench;

import io.github.elasticimage.classifier.config.ModelProperties;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.micronaut.core.type.Argument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** What the raw and the batching benchmark share: the photos, the worker's model settings, the worker loop. */
final class BenchSupport {

    /** The worker's model settings ({@code app.model.*}), read as the worker reads them. */
    static final ModelProperties MODEL;
    /** The worker's pixel limit ({@code app.image.max-pixels}, {@code MAX_IMAGE_PIXELS}). */
    static final long MAX_PIXELS;

    static {
        // The classifier's application.yml (on this classpath, in its jar) with its defaults and environment overrides,
        // so the benches use the settings a worker binds into ModelProperties rather than a copy of them. Only the
        // configuration is loaded: no beans, so no queue client and no second model.
        try (ApplicationContext context = ApplicationContext.builder().deduceEnvironment(false).banner(false).build()) {
            Environment config = context.getEnvironment().start();
            MODEL = new ModelProperties(
                    config.getRequiredProperty("app.model.path", String.class),
                    config.getRequiredProperty("app.model.labels", String.class),
                    config.getRequiredProperty("app.model.resize", Integer.class),
                    config.getRequiredProperty("app.model.input-size", Integer.class),
                    floats(config, "app.model.mean"),
                    floats(config, "app.model.std"),
                    config.getRequiredProperty("app.model.apply-softmax", Boolean.class),
                    config.getRequiredProperty("app.model.warmup-runs", Integer.class));
            MAX_PIXELS = config.getRequiredProperty("app.image.max-pixels", Long.class);
        }
    }

    private BenchSupport() {
    }

    private static List<Float> floats(Environment config, String name) {
        return config.getProperty(name, Argument.listOf(Float.class))
                .orElseThrow(() -> new IllegalStateException("no " + name + " in the classifier's configuration"));
    }

    /** Headless AWT and DJL offline, as in the worker. */
    static void configureProcess() {
        System.setProperty("java.awt.headless", "true");
        System.setProperty("ai.djl.offline", "true");
    }

    /** Every file of {@code dir}, in name order. */
    static List<byte[]> images(Path dir) throws IOException {
        List<byte[]> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                images.add(Files.readAllBytes(file));
            }
        }
        return images;
    }

    /** Work on items {@code [from, to)}; an item index modulo the number of images names its image. */
    @FunctionalInterface
    interface Work {
        void run(int from, int to) throws Exception;
    }

    /** {@code threads} callers on {@code pool} take the next {@code chunk} items each until {@code total} are done. */
    static void run(ExecutorService pool, Work work, int total, int chunk, int threads) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int from = next.getAndAdd(chunk); from < total; from = next.getAndAdd(chunk)) {
                    work.run(from, Math.min(total, from + chunk));
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
    }
}
