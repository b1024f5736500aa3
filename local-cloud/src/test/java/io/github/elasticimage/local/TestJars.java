package io.github.elasticimage.local;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/** Small jars for the worker cache's tests: the same entries can be written with other times, as a rebuild does. */
final class TestJars {

    private TestJars() {
    }

    /** Writes a jar of {@code entries} (name to text), each entry with the time {@code entryTime}. */
    static Path write(Path jar, Map<String, String> entries, long entryTime) throws IOException {
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                JarEntry entry = new JarEntry(e.getKey());
                entry.setTime(entryTime);
                out.putNextEntry(entry);
                out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return jar;
    }

    /** A jar of one entry, {@code a.txt} holding {@code text}. */
    static Path write(Path jar, String text, long entryTime) throws IOException {
        return write(jar, Map.of("a.txt", text), entryTime);
    }
}
