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
    /** A time for the test jars' entries. */
    private static final long T0 = 1_700_000_000_000L;

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
        Path jar = TestJars.write(dir.resolve("classifier.jar"), "jar", T0);
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
    void aRebuiltJarWithTheSameContentKeepsItsCache() throws Exception {
        Path jar = TestJars.write(dir.resolve("classifier.jar"), "jar", T0);
        Path cacheDir = dir.resolve("cache");
        WorkerJvm first = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, OPTIONS);
        Files.writeString(first.cacheFile(), "archive");
        FileTime copied = Files.getLastModifiedTime(first.workerJar(jar));

        // What `make build` does to unchanged sources: the same entries, written again with new times, then touched.
        TestJars.write(jar, "jar", T0 + 86_400_000);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
        WorkerJvm again = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, OPTIONS);
        assertEquals(first.cacheFile(), again.cacheFile());
        assertFalse(again.needsTraining(), "the cache is reused, no training run");
        assertEquals(List.of("-XX:SharedArchiveFile=" + first.cacheFile()), again.startArgs());
        assertEquals(first.workerJar(jar), again.workerJar(jar));
        assertEquals(copied, Files.getLastModifiedTime(again.workerJar(jar)),
                "the workers' copy is not written again: its time is the one the archive was made with");

        Path sameJarOtherwiseNamed = dir.resolve("cache").resolve("..").resolve("classifier.jar");
        assertEquals(first.cacheFile(),
                WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, sameJarOtherwiseNamed, OPTIONS).cacheFile());
        Path sameContentElsewhere = TestJars.write(Files.createDirectories(dir.resolve("other")).resolve("c.jar"),
                "jar", T0);
        assertEquals(first.cacheFile(),
                WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, sameContentElsewhere, OPTIONS).cacheFile());
        assertTrue(Files.exists(first.cacheFile()), "the same content under another path keeps its cache");
    }

    @Test
    void changedContentOrOtherOptionsNeedANewCacheAndTheOldOneIsDeleted() throws Exception {
        Path jar = TestJars.write(dir.resolve("classifier.jar"), "jar", T0);
        Path cacheDir = dir.resolve("cache");
        WorkerJvm first = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, OPTIONS);
        Files.writeString(first.cacheFile(), "archive");
        WorkerJvm otherOptions = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, List.of("-Xmx512m"));
        assertNotEquals(first.cacheFile(), otherOptions.cacheFile());

        // Same size, other bytes, a later time (a real rebuild with a change).
        WorkerJvm again = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, OPTIONS);
        Files.writeString(again.cacheFile(), "archive");
        TestJars.write(jar, "JAR", T0);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5_000));
        WorkerJvm rebuilt = WorkerJvm.resolve("appcds", THIS_JDK, cacheDir, jar, OPTIONS);
        assertNotEquals(first.cacheFile(), rebuilt.cacheFile());
        assertTrue(rebuilt.needsTraining());
        assertFalse(Files.exists(first.cacheFile()), "the stale archive is deleted");
        assertNotEquals(first.workerJar(jar), rebuilt.workerJar(jar));
        assertFalse(Files.exists(first.workerJar(jar)), "the stale copy of the jar is deleted");
        assertEquals(-1, Files.mismatch(jar, rebuilt.workerJar(jar)), "workers run the new content");
    }

    @Test
    void workersWithoutACacheRunTheJarItself() throws Exception {
        Path jar = TestJars.write(dir.resolve("classifier.jar"), "jar", T0);
        assertEquals(jar, WorkerJvm.resolve("none", null, dir, jar, OPTIONS).workerJar(jar));
        assertEquals(jar, WorkerJvm.plain().workerJar(jar));
    }

    @Test
    void noneIsThisJvmWithoutCache() throws Exception {
        Path jar = TestJars.write(dir.resolve("classifier.jar"), "jar", T0);
        WorkerJvm jvm = WorkerJvm.resolve("none", null, dir, jar, OPTIONS);
        assertEquals(WorkerJvm.Cache.NONE, jvm.cache());
        assertEquals(THIS_JDK.resolve("bin/java"), jvm.java());
        assertFalse(jvm.needsTraining());
        assertEquals(List.of(), jvm.startArgs());
        assertThrows(IllegalArgumentException.class, () -> WorkerJvm.resolve("fast", null, dir, jar, OPTIONS));
    }
}
