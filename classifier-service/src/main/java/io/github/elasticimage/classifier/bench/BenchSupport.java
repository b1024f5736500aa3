package io.github.elasticimage.classifier.bench;

import io.github.elasticimage.classifier.config.ModelProperties;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** What the raw and the batching benchmark share: the photos, the shipped model's settings, the worker loop. */
final class BenchSupport {

    /** The shipped model with the worker's default settings (classifier-service application.yml). */
    static final ModelProperties MODEL = new ModelProperties("classpath:model/mobilenet_v2_int8.pt",
            "classpath:model/synset.txt", 256, 224, List.of(0.485f, 0.456f, 0.406f), List.of(0.229f, 0.224f, 0.225f),
            true, 5);
    /** The worker's default pixel limit ({@code MAX_IMAGE_PIXELS}). */
    static final long MAX_PIXELS = 50_000_000L;

    private BenchSupport() {
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
