package io.github.elasticimage.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The workers' JVM and class-data cache: which cache a JDK gets, its flags, and when it is stale. */
class WorkerJvmTest {

    private static final Path THIS_JDK = Path.of(System.getProperty("java.home"));
    private static final List<String> OPTIONS = List.of("-Xmx256m", "-XX:+UseParallelGC");

    @TempDir
    Path dir;

    @Test
    void javaVersionsByFeature() {
        assertEquals(17, WorkerJvm.feature("17.0.15"));
        assertEquals(25, WorkerJvm.feature("25.0.3"));
        assertEquals(8, WorkerJvm.feature("1.8.0_392"));
        assertEquals(21, WorkerJvm.feature("21"));
    }

    @Test
    void appCdsArchiveUsedOnlyOnceBuilt() throws Exception {
        Path jar = Files.writeString(dir.resolve("classifier.jar"), "jar");
        WorkerJvm jvm = WorkerJvm.resolve("appcds", THIS_JDK, dir.resolve("cache"), jar, OPTIONS);
        assertEquals(WorkerJvm.Cache.APPCDS, jvm.cache());
        assertEquals(THIS_JDK.resolve("bin/java"), jvm.java());
        assertTrue(jvm.needsTraining());
        assertEquals(List.of(), jvm.startArgs(), "no archive yet: no flag that would make the JVM warn");
        assertEquals(List.of("-XX:ArchiveClassesAtExit=" + jvm.cacheFile()), jvm.trainingArgs());

        Files.createDirectories(jvm.cacheFile().getParent());
        Files.writeString(jvm.cacheFile(), "archive");
        assertFalse(jvm.needsTraining());
        assertEquals(List.of("-XX:SharedArchiveFile=" + jvm.cacheFile()), jvm.startArgs());
    }

    @Test
    void aNewJarOrOtherOptionsNeedANewCacheAndTheOldOneIsDeleted() throws Exception {
        Path jar = Files.writeString(dir.resolve("classifier.jar"), "jar");
        Path cacheDir = dir.resolve("cache");
        WorkerJvm first = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, OPTIONS);
        Files.createDirectories(cacheDir);
        Files.writeString(first.cacheFile(), "archive");

        assertEquals(first.cacheFile(), WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, OPTIONS).cacheFile());
        Path sameJarOtherwiseNamed = dir.resolve("cache").resolve("..").resolve("classifier.jar");
        assertEquals(first.cacheFile(),
                WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, sameJarOtherwiseNamed, OPTIONS).cacheFile());
        assertTrue(Files.exists(first.cacheFile()), "the same jar under another path keeps its cache");
        WorkerJvm otherOptions = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, List.of("-Xmx512m"));
        assertNotEquals(first.cacheFile(), otherOptions.cacheFile());

        Files.writeString(first.cacheFile(), "archive");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5_000));
        WorkerJvm rebuilt = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, OPTIONS);
        assertNotEquals(first.cacheFile(), rebuilt.cacheFile());
        assertTrue(rebuilt.needsTraining());
        assertFalse(Files.exists(first.cacheFile()), "the stale archive is deleted");
    }

    @Test
    void noneIsThisJvmWithoutCache() throws Exception {
        Path jar = Files.writeString(dir.resolve("classifier.jar"), "jar");
        WorkerJvm jvm = WorkerJvm.resolve("none", null, dir, jar, OPTIONS);
        assertEquals(WorkerJvm.Cache.NONE, jvm.cache());
        assertEquals(THIS_JDK.resolve("bin/java"), jvm.java());
        assertFalse(jvm.needsTraining());
        assertEquals(List.of(), jvm.startArgs());
        assertThrows(IllegalArgumentException.class, () -> WorkerJvm.resolve("fast", null, dir, jar, OPTIONS));
    }
}
