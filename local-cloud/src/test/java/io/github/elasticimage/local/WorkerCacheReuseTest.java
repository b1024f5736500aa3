package io.github.elasticimage.local;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The workers' class-data cache with real JVMs: a small jar stands in for the classifier jar, a training run makes the
 * cache as {@link WorkerStartupCache} does, then the jar is rebuilt. The JVM must still use the cache after a rebuild
 * of the same content (on Java 17 an AppCDS archive is refused after a mere touch of the jar it was made with), and a
 * change of content must get a new cache (Java 25's AOT cache would run the old classes).
 */
class WorkerCacheReuseTest {

    private static final Path THIS_JDK = Path.of(System.getProperty("java.home"));
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void appCdsOnThisJdkIsReusedAfterARebuildOfTheSameJar() throws Exception {
        reusedAfterRebuild("appcds", THIS_JDK);
    }

    @Test
    void aotCacheOnJava25IsReusedAfterARebuildOfTheSameJar() throws Exception {
        Path temurin = Path.of(WorkerJvm.TEMURIN_25);
        Assumptions.assumeTrue(Files.isExecutable(temurin.resolve("bin/java")),
                "not checked here: no Java 25 at " + temurin + " (the AOT cache needs it)");
        reusedAfterRebuild("auto", temurin);
    }

    private void reusedAfterRebuild(String mode, Path javaHome) throws Exception {
        Path jar = dir.resolve("classifier.jar");
        Files.write(jar, helloJar("hello", T0));
        Path cacheDir = dir.resolve("cache");
        WorkerJvm jvm = WorkerJvm.resolve(mode, javaHome, cacheDir, jar, List.of());
        assertTrue(jvm.needsTraining());
        String training = run(jvm, jvm.trainingArgs(), jvm.workerJar(jar));
        assertTrue(Files.isRegularFile(jvm.cacheFile()), "the training run wrote no cache: " + training);

        // make build of unchanged sources: the same entries with new times (other bytes), the jar touched.
        Files.write(jar, helloJar("hello", T0 + 86_400_000L));
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        WorkerJvm rebuilt = WorkerJvm.resolve(mode, javaHome, cacheDir, jar, List.of());
        assertEquals(jvm.cacheFile(), rebuilt.cacheFile());
        assertFalse(rebuilt.needsTraining(), "no second training run");
        String worker = run(rebuilt, rebuilt.startArgs(), rebuilt.workerJar(jar));
        assertTrue(worker.contains("Hello source: shared objects file"),
                "the worker's JVM loads the jar's class from the cache:\n" + worker);
        assertTrue(worker.contains("says hello"), worker);

        Files.write(jar, helloJar("howdy", T0));
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 120_000));
        WorkerJvm changed = WorkerJvm.resolve(mode, javaHome, cacheDir, jar, List.of());
        assertNotEquals(jvm.cacheFile(), changed.cacheFile());
        assertTrue(changed.needsTraining(), "changed content: a new training run");
        assertTrue(run(changed, changed.startArgs(), changed.workerJar(jar)).contains("says howdy"),
                "workers run the new classes");
    }

    /** {@code java [cacheArgs] -Xlog:class+load -jar jar}, its output. */
    private static String run(WorkerJvm jvm, List<String> cacheArgs, Path jar) throws Exception {
        List<String> command = new ArrayList<>(List.of(jvm.java().toString()));
        command.addAll(cacheArgs);
        command.addAll(List.of("-Xlog:class+load=info", "-jar", jar.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "java did not exit: " + command);
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), text);
        return text;
    }

    /**
     * A runnable jar whose main class {@code Hello} prints "says {@code word}", compiled here for Java 17, its entries
     * dated {@code entryTime}.
     */
    private byte[] helloJar(String word, long entryTime) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src-" + word + "-" + entryTime));
        Path source = Files.writeString(src.resolve("Hello.java"), "public class Hello { public static void main("
                + "String[] a) { System.out.println(\"says " + word + "\"); } }");
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17", "-d", src.toString(),
                source.toString());
        assertEquals(0, rc, "javac");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Hello");
        Path jar = src.resolve("hello.jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            JarEntry entry = new JarEntry("Hello.class");
            entry.setTime(entryTime);
            out.putNextEntry(entry);
            out.write(Files.readAllBytes(src.resolve("Hello.class")));
            out.closeEntry();
        }
        return Files.readAllBytes(jar);
    }
}
