package io.github.elasticimage.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The workers' one launch path, {@link LocalSystem#startWorker}: {@code [command prefix] java [JVM options] [cache
 * options] -jar jar}. The command prefix here is a real program, a shell that writes the rest of its command line to a
 * file, so the test sees exactly what a prefix such as {@code taskset -c 1} is given to run.
 */
class WorkerLaunchTest {

    private static final Path THIS_JDK = Path.of(System.getProperty("java.home"));
    private static final List<String> OPTIONS = List.of("-Xmx256m", "-XX:+UseParallelGC");
    /** A time for the test jars' entries. */
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void aWorkerRunsThroughThePrefixOnTheWorkerJvmWithItsCache() throws Exception {
        Path jar = TestJars.write(dir.resolve("classifier.jar"), "jar", T0);
        WorkerJvm jvm = WorkerJvm.resolve("appcds", THIS_JDK, dir.resolve("cache"), jar, OPTIONS);
        Files.createDirectories(jvm.cacheFile().getParent());
        Files.writeString(jvm.cacheFile(), "archive");
        Path argv = dir.resolve("argv");
        LocalSystem.Settings settings = settings(jar, argv, jvm);

        awaitExit(LocalSystem.startWorker("worker-1", settings, Map.of("WORKER_ID", "worker-1"), quiet()));
        List<String> expected = new ArrayList<>(List.of(THIS_JDK.resolve("bin/java").toString()));
        expected.addAll(OPTIONS);
        expected.addAll(List.of("-XX:SharedArchiveFile=" + jvm.cacheFile(), "-jar", jvm.workerJar(jar).toString()));
        assertEquals(expected, Files.readAllLines(argv));
    }

    @Test
    void theTrainingRunTakesTheSamePathWithTheTrainingOptions() throws Exception {
        Path jar = TestJars.write(dir.resolve("classifier.jar"), "jar", T0);
        WorkerJvm jvm = WorkerJvm.resolve("appcds", THIS_JDK, dir.resolve("cache"), jar, OPTIONS);
        Path argv = dir.resolve("argv");
        LocalSystem.Settings settings = settings(jar, argv, jvm);

        awaitExit(LocalSystem.startWorker("cache-training", settings, jvm.trainingArgs(), Map.of(), 0, quiet()));
        List<String> expected = new ArrayList<>(List.of(THIS_JDK.resolve("bin/java").toString()));
        expected.addAll(OPTIONS);
        expected.addAll(List.of("-XX:ArchiveClassesAtExit=" + jvm.cacheFile(), "-jar",
                jvm.workerJar(jar).toString()));
        assertEquals(expected, Files.readAllLines(argv));
    }

    /** Settings whose command prefix is {@code sh -c 'printf ... > argv'}: it records its arguments and exits. */
    private static LocalSystem.Settings settings(Path jar, Path argv, WorkerJvm jvm) {
        List<String> prefix = List.of("/bin/sh", "-c", "printf '%s\\n' \"$@\" > '" + argv + "'", "prefix");
        return new LocalSystem.Settings("127.0.0.1", 0, jar, jar, List.of(), OPTIONS, Map.of(), Map.of(), prefix, 0,
                jvm);
    }

    private static void awaitExit(ServiceProcess process) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        process.stop(Duration.ofSeconds(1));
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true);
    }
}
