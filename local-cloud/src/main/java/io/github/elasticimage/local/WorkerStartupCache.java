package io.github.elasticimage.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Makes a worker's class-data cache ({@link WorkerJvm}) when it is missing: the training run. A worker is started with
 * {@link WorkerJvm#trainingArgs()} against the running local servers, waits until it is healthy (context up, model
 * loaded and warmed up: the classes and, on Java 25, the profiles of a real start) and is stopped with SIGTERM; the JVM
 * writes the cache as it exits. Once per classifier jar content, JDK and JVM options: about one worker start, plus a
 * few seconds to write the cache. A failed training run is reported and the workers start without a cache.
 */
public final class WorkerStartupCache {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerStartupCache.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    /** The JVM writes the cache at exit; Java 25 then runs a second JVM to assemble it (several seconds on 2 cores). */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(180);

    private WorkerStartupCache() {
    }

    /**
     * Runs the training run if the settings' worker JVM needs one. The training worker starts through
     * {@link LocalSystem#startWorker(String, LocalSystem.Settings, List, Map, int, PrintStream)}, the workers' one launch
     * path (their command prefix, java and JVM options), with the cache's training options.
     *
     * @param settings what the workers run: their JVM and cache, jar, JVM options, command prefix
     * @param env      a worker's environment (the local servers' endpoints and names)
     * @param out      where the training worker's output goes
     * @return true if the cache exists afterwards
     */
    public static boolean ensure(LocalSystem.Settings settings, Map<String, String> env, PrintStream out) {
        WorkerJvm jvm = settings.workerJvm();
        if (jvm.cache() == WorkerJvm.Cache.NONE) {
            return false;
        }
        if (!jvm.needsTraining()) {
            LOG.info("worker start-up: {}", jvm.describe());
            return true;
        }
        long started = System.nanoTime();
        LOG.info("worker start-up: building the class-data cache (once per classifier jar content, JDK and JVM "
                + "options): {}", jvm.describe());
        try {
            Files.createDirectories(jvm.cacheFile().getParent());
        } catch (IOException e) {
            LOG.warn("cannot create {}: workers start without a class-data cache: {}", jvm.cacheFile().getParent(),
                    e.toString());
            return false;
        }
        Map<String, String> trainingEnv = new java.util.LinkedHashMap<>(env);
        trainingEnv.put("WORKER_ID", "cache-training");
        ServiceProcess worker = LocalSystem.startWorker("cache-training", settings, jvm.trainingArgs(), trainingEnv, 0,
                out);
        try {
            worker.awaitHealthy(START_TIMEOUT);
        } catch (RuntimeException e) {
            LOG.warn("worker start-up cache: the training run failed, workers start without a cache: {}",
                    e.getMessage());
            worker.stop(Duration.ofSeconds(5));
            return false;
        } finally {
            worker.stop(WRITE_TIMEOUT);
        }
        if (!Files.isRegularFile(jvm.cacheFile())) {
            LOG.warn("worker start-up cache: the training run wrote no {} (see its [cache-training] lines): workers "
                    + "start without a cache", jvm.cacheFile());
            return false;
        }
        try {
            LOG.info("worker start-up cache: {} ({} MB) built in {} ms", jvm.cacheFile(),
                    Files.size(jvm.cacheFile()) / (1024 * 1024), (System.nanoTime() - started) / 1_000_000);
        } catch (IOException e) {
            LOG.info("worker start-up cache: {} built", jvm.cacheFile());
        }
        return true;
    }
}
