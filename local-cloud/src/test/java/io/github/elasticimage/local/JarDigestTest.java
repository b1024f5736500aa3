package io.github.elasticimage.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The classifier jar's content digest, the worker cache's key: the entries count, their times do not. */
class JarDigestTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final long NEXT_DAY = T0 + 86_400_000L;

    @TempDir
    Path dir;

    @Test
    void theSameEntriesBuiltAgainHaveTheSameDigest() throws Exception {
        Path first = TestJars.write(dir.resolve("first.jar"), entries("class bytes"), T0);
        Path again = TestJars.write(dir.resolve("again.jar"), entries("class bytes"), NEXT_DAY);
        assertNotEquals(-1, Files.mismatch(first, again), "the rebuilt jar's bytes differ (its entries' times)");
        assertEquals(JarDigest.of(first), JarDigest.of(again));
    }

    @Test
    void otherContentOrAnotherEntryHasAnotherDigest() throws Exception {
        String digest = JarDigest.of(TestJars.write(dir.resolve("a.jar"), entries("class bytes"), T0));
        assertNotEquals(digest, JarDigest.of(TestJars.write(dir.resolve("b.jar"), entries("class bytez"), T0)),
                "same size, other bytes");
        Map<String, String> more = entries("class bytes");
        more.put("B.class", "");
        assertNotEquals(digest, JarDigest.of(TestJars.write(dir.resolve("c.jar"), more, T0)), "one entry more");
        Map<String, String> renamed = new LinkedHashMap<>(Map.of("C.class", "class bytes", "app.yml", "x: 1"));
        assertNotEquals(digest, JarDigest.of(TestJars.write(dir.resolve("d.jar"), renamed, T0)), "a renamed entry");
    }

    @Test
    void notAJarIsAClearError() throws Exception {
        Path text = Files.writeString(dir.resolve("classifier.jar"), "not a zip");
        assertThrows(java.io.UncheckedIOException.class, () -> JarDigest.of(text));
        assertThrows(java.io.UncheckedIOException.class, () -> JarDigest.of(dir.resolve("missing.jar")));
    }

    private static Map<String, String> entries(String classBytes) {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("A.class", classBytes);
        entries.put("app.yml", "x: 1");
        return entries;
    }
}
