package io.github.elasticimage.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which {@code java} a local classifier worker runs on, and its class-data cache (docs/performance.md, start-up;
 * docs/decisions/0013-worker-start-up.md). On Java 25 and later the worker uses an AOT cache
 * ({@code -XX:AOTCache}, JEP 483/514: classes loaded and linked, profiles); on Java 17 to 24 an AppCDS archive
 * ({@code -XX:SharedArchiveFile}, a dynamic archive on top of the JDK's own). Either is made once by a training run
 * ({@link #trainingArgs()}: a worker started, warmed, given one job and stopped; {@link WorkerStartupCache}) and reused
 * by every worker until the classifier jar's content, the JDK or the worker's JVM options change: its file name carries
 * a digest of all three (the jar's of its entries, {@link JarDigest}, not of its times: a rebuild of the same classes
 * keeps the cache). A JVM that finds the file stale or unusable says so on its output and starts without it.
 *
 * <p>Workers with a cache run a copy of the classifier jar kept beside it, {@code classifier-<digest>.jar}, made once
 * per content: the JVM checks an AppCDS archive against the jar's modification time and refuses it after a mere
 * {@code touch} of the jar (OpenJDK 17.0.15, Temurin 25.0.3), while Java 25's AOT cache was seen running the training
 * run's classes from a jar since rebuilt with other classes and another size (Temurin 25.0.3). The copy is never
 * written again, so it always matches its cache, also when the jar is rebuilt while {@code make run} starts workers.
 *
 * <p>The JDK: {@code auto} takes the one in {@code WORKER_JAVA_HOME} if set, else Temurin 25 at
 * {@value #TEMURIN_25} when present (its AOT cache starts a worker fastest), else the JVM running this launcher.
 */
public final class WorkerJvm {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerJvm.class);
    /** Where Temurin 25 lies on this project's machines (not on every one). */
    public static final String TEMURIN_25 = "/usr/lib/jvm/temurin-25-jdk-amd64";
    /** The cache mode of {@code make run} and {@code make cold-start} unless told otherwise. */
    public static final String DEFAULT_MODE = "auto";
    /** Environment variable naming the JDK of local workers (overrides the choice of {@code auto}). */
    public static final String JAVA_HOME_ENV = "WORKER_JAVA_HOME";

    /** The class-data cache a worker JVM uses. */
    public enum Cache {
        /** Java 25+: {@code -XX:AOTCache} made by a training run with {@code -XX:AOTCacheOutput}. */
        AOT("aot"),
        /** Java 17-24: {@code -XX:SharedArchiveFile} made by a training run with {@code -XX:ArchiveClassesAtExit}. */
        APPCDS("jsa"),
        /** No cache: the JDK's default CDS archive only. */
        NONE(null);

        private final String extension;

        Cache(String extension) {
            this.extension = extension;
        }
    }

    private final Path javaHome;
    private final String version;
    private final Cache cache;
    private final Path cacheFile;
    /** The copy of the classifier jar the cache is made from and used with; null without a cache. */
    private final Path jar;

    private WorkerJvm(Path javaHome, String version, Cache cache, Path cacheFile, Path jar) {
        this.javaHome = javaHome;
        this.version = version;
        this.cache = cache;
        this.cacheFile = cacheFile;
        this.jar = jar;
    }

    /** The JVM running this launcher, no cache: how workers started before there was a cache (tests use it). */
    public static WorkerJvm plain() {
        Path home = Path.of(System.getProperty("java.home"));
        return new WorkerJvm(home, System.getProperty("java.version"), Cache.NONE, null, null);
    }

    /**
     * The worker JVM for a mode.
     *
     * @param mode          {@code auto} (the best cache the chosen JDK offers), {@code appcds} (an AppCDS archive even
     *                      on Java 25), or {@code none} (the launcher's JVM, no cache)
     * @param javaHome      the JDK to use; null: {@code WORKER_JAVA_HOME}, else Temurin 25 if present, else this JVM's
     * @param cacheDir      folder of the cache files and the jar's copy (created; files of other keys are deleted)
     * @param classifierJar the worker's runnable jar (its content is part of the cache key)
     * @param jvmArgs       the worker's other JVM options (part of the cache key: a cache must match them)
     */
    public static WorkerJvm resolve(String mode, Path javaHome, Path cacheDir, Path classifierJar,
                                    List<String> jvmArgs) {
        if ("none".equals(mode)) {
            return plain();
        }
        if (!"auto".equals(mode) && !"appcds".equals(mode)) {
            throw new IllegalArgumentException("worker start-up cache mode must be auto, appcds or none, not " + mode);
        }
        Path home = javaHome != null ? javaHome : defaultJavaHome();
        if (!Files.isExecutable(home.resolve("bin/java"))) {
            throw new IllegalArgumentException("no java at " + home.resolve("bin/java") + " (" + JAVA_HOME_ENV + ")");
        }
        String version = javaVersion(home);
        int feature = feature(version);
        Cache cache;
        if (feature >= 25 && "auto".equals(mode)) {
            cache = Cache.AOT;
        } else if (feature >= 17) {
            cache = Cache.APPCDS;
        } else {
            LOG.warn("worker JDK {} at {} is older than 17: workers start without a class-data cache", version, home);
            return new WorkerJvm(home, version, Cache.NONE, null, null);
        }
        Path dir = cacheDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the worker start-up cache folder " + dir
                    + " (choose another, or --worker-cache none)", e);
        }
        String jarDigest = JarDigest.of(classifierJar);
        String key = key(home, version, jarDigest, jvmArgs);
        Path file = dir.resolve("worker-" + key + "." + cache.extension);
        Path jar = dir.resolve("classifier-" + jarDigest.substring(0, 16) + ".jar");
        copyOnce(classifierJar, jar);
        deleteStale(dir, file, jar);
        return new WorkerJvm(home, version, cache, file, jar);
    }

    private static Path defaultJavaHome() {
        String env = System.getenv(JAVA_HOME_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path temurin = Path.of(TEMURIN_25);
        if (Files.isExecutable(temurin.resolve("bin/java"))) {
            return temurin;
        }
        LOG.info("no JDK 25 at {} (set {} to choose one): local workers run on this JVM, Java {}, with an AppCDS "
                + "archive instead of an AOT cache", TEMURIN_25, JAVA_HOME_ENV, System.getProperty("java.version"));
        return Path.of(System.getProperty("java.home"));
    }

    /** JAVA_VERSION from a JDK's {@code release} file, else this JVM's version when it is this JVM's home. */
    static String javaVersion(Path home) {
        Path release = home.resolve("release");
        if (Files.isRegularFile(release)) {
            try {
                Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"([^\"]+)\"").matcher(Files.readString(release));
                if (m.find()) {
                    return m.group(1);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + release, e);
            }
        }
        if (home.toAbsolutePath().normalize().equals(Path.of(System.getProperty("java.home")).toAbsolutePath().normalize())) {
            return System.getProperty("java.version");
        }
        throw new IllegalArgumentException("cannot tell the Java version of " + home + " (no release file)");
    }

    static int feature(String version) {
        Matcher m = Pattern.compile("^(?:1\\.)?(\\d+)").matcher(version);
        if (!m.find()) {
            throw new IllegalArgumentException("not a Java version: " + version);
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * A digest of what a cache must match: the JDK (home and version), the jar's content and the JVM options. The jar's
     * path and time are not in it: {@code make run} (from the project root) and the bench (from system-tests,
     * {@code ../}) find the same file instead of each deleting the other's as stale, and a rebuild keeps it.
     */
    private static String key(Path home, String version, String jarDigest, List<String> jvmArgs) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            String text = home.toAbsolutePath().normalize() + "\n" + version + "\n" + jarDigest + "\n"
                    + String.join(" ", jvmArgs);
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies {@code jar} to {@code copy} unless it is there (same digest, same bytes); atomically, as a whole. */
    private static void copyOnce(Path jar, Path copy) {
        if (Files.isRegularFile(copy)) {
            return;
        }
        try {
            Path tmp = Files.createTempFile(copy.getParent(), copy.getFileName().toString(), ".tmp");
            Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + jar + " to " + copy
                    + " (the jar the workers' cache is made from; or --worker-cache none)", e);
        }
    }

    private static void deleteStale(Path dir, Path keep, Path keepJar) {
        String stale = "{worker-*.aot,worker-*.jsa,classifier-*.jar}";
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, stale)) {
            for (Path file : files) {
                if (!file.equals(keep) && !file.equals(keepJar)) {
                    Files.deleteIfExists(file);
                    LOG.info("deleted the stale worker start-up cache {}", file);
                }
            }
        } catch (IOException e) {
            LOG.warn("could not clean {}: {}", dir, e.toString());
        }
    }

    /**
     * The jar a worker runs: the cache's own copy of the classifier jar when there is a cache (see the class comment),
     * else {@code classifierJar}.
     */
    public Path workerJar(Path classifierJar) {
        return jar != null ? jar : classifierJar;
    }

    /** The {@code java} executable. */
    public Path java() {
        return javaHome.resolve("bin").resolve("java");
    }

    public Path javaHome() {
        return javaHome;
    }

    public String version() {
        return version;
    }

    public Cache cache() {
        return cache;
    }

    /** The cache file (may not exist yet), or null without a cache. */
    public Path cacheFile() {
        return cacheFile;
    }

    /** True when this JVM uses a cache and its file is missing: a training run must make it first. */
    public boolean needsTraining() {
        return cache != Cache.NONE && !Files.isRegularFile(cacheFile);
    }

    /** Options that make a worker use the cache (none when it has no cache or the file is missing). */
    public List<String> startArgs() {
        if (cache == Cache.NONE || !Files.isRegularFile(cacheFile)) {
            return List.of();
        }
        return switch (cache) {
            case AOT -> List.of("-XX:AOTCache=" + cacheFile);
            case APPCDS -> List.of("-XX:SharedArchiveFile=" + cacheFile);
            case NONE -> List.of();
        };
    }

    /** Options of the training run, which writes the cache file when the JVM exits. */
    public List<String> trainingArgs() {
        return switch (cache) {
            case AOT -> List.of("-XX:AOTCacheOutput=" + cacheFile);
            case APPCDS -> List.of("-XX:ArchiveClassesAtExit=" + cacheFile);
            case NONE -> List.of();
        };
    }

    /** One line for logs and the cold-start figures: JDK and cache. */
    public String describe() {
        String what = switch (cache) {
            case AOT -> "AOT cache";
            case APPCDS -> "AppCDS archive";
            case NONE -> "no class-data cache";
        };
        return "Java " + version + " (" + javaHome + "), " + what
                + (cacheFile == null ? "" : " " + cacheFile + (Files.isRegularFile(cacheFile) ? "" : " (not built yet)"));
    }

    /** Short name of the cache for figures: aot, appcds or none. */
    public String cacheName() {
        return cache.name().toLowerCase(java.util.Locale.ROOT);
    }
}
