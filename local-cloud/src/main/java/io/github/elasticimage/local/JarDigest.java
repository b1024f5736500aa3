package io.github.elasticimage.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The digest of a jar's content, what the workers' class-data cache is keyed on ({@link WorkerJvm}): the SHA-256 of
 * every entry's name, size and CRC-32 in the order of the jar's central directory. Not the jar's bytes, which change
 * with every build that recompiles anything (each entry carries its file's time), and not its time (the Makefile
 * touches it after every build). Reading the central directory costs a fraction of a second for the classifier jar,
 * where inflating and hashing all of its content takes seconds (docs/decisions/0013-worker-start-up.md).
 * A change that keeps an entry's size and CRC-32 would go unseen: about one chance in four billion per changed entry.
 */
final class JarDigest {

    private JarDigest() {
    }

    /** The hex SHA-256 of {@code jar}'s entries (names, sizes, CRC-32s), whatever the entries' and the file's times. */
    static String of(Path jar) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                digest.update((entry.getName() + "\n" + entry.getSize() + " " + Long.toHexString(entry.getCrc()) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar + " as a jar (build it first: make build)", e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
