package io.github.elasticimage.classifier.model;

import ai.djl.pytorch.jni.LibUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Loads the native libtorch (DJL's {@link LibUtils#loadLibrary()}: find it, unpack it on first use, load it; about
 * 1.5 s) on its own thread as the worker starts, while Micronaut builds its context on the main thread; the classifier
 * waits for it before it loads the model (docs/performance.md, start-up). The engine itself (and its thread counts,
 * from the configuration) is still started by the classifier. A failure here is only logged: the classifier's own load
 * then fails with DJL's message.
 */
public final class NativeLibraryPreload {

    private static final Logger LOG = LoggerFactory.getLogger(NativeLibraryPreload.class);
    private static volatile CompletableFuture<Void> loading = CompletableFuture.completedFuture(null);
    private static boolean started;

    private NativeLibraryPreload() {
    }

    /** Starts loading on a daemon thread (once; later calls do nothing). */
    public static synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        CompletableFuture<Void> future = new CompletableFuture<>();
        loading = future;
        Thread thread = new Thread(() -> {
            long begin = System.nanoTime();
            try {
                LibUtils.loadLibrary();
                LOG.info("libtorch loaded in {} ms, beside the context start", (System.nanoTime() - begin) / 1_000_000);
                future.complete(null);
            } catch (RuntimeException | Error e) {
                future.completeExceptionally(e);
            }
        }, "libtorch-preload");
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits for a load started by {@link #start()}, if any; returns at once otherwise. */
    static void await() {
        try {
            loading.join();
        } catch (CompletionException e) {
            LOG.warn("loading libtorch ahead failed ({}); the model load retries it", e.getCause().toString());
        }
    }
}
