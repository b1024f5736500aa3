import ai.djl.pytorch.jni.LibUtils;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Build step of the classifier image (classifier-service/pom.xml, exec-maven-plugin at package): unpacks the native
 * libtorch of the pytorch-native-cpu jar into OUT_DIR with DJL's own layout (pytorch/VERSION-FLAVOR-CLASSIFIER/, the
 * JNI library beside it) by letting DJL do it, with DJL_CACHE_DIR=OUT_DIR. Jib copies OUT_DIR into the image as its
 * DJL_CACHE_DIR, so a container finds libtorch there and unpacks nothing at start (docs/performance.md, start-up).
 * Does nothing when OUT_DIR already holds this version. Run as a source file: java -cp CLASSPATH UnpackLibtorch.java OUT_DIR
 */
public final class UnpackLibtorch {

    private UnpackLibtorch() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]).toAbsolutePath();
        Properties platform = new Properties();
        try (InputStream in = UnpackLibtorch.class.getClassLoader().getResourceAsStream("native/lib/pytorch.properties")) {
            if (in == null) {
                throw new IllegalStateException("no native/lib/pytorch.properties on the classpath: is pytorch-native-cpu "
                        + "(classifier linux-x86_64) a runtime dependency?");
            }
            platform.load(in);
        }
        Path dir = out.resolve("pytorch").resolve(platform.getProperty("version") + "-" + platform.getProperty("flavor")
                + "-" + platform.getProperty("classifier"));
        if (Files.isRegularFile(dir.resolve("libtorch_cpu.so")) && hasJni(dir)) {
            System.out.println("libtorch: " + dir + " is up to date");
            return;
        }
        System.setProperty("DJL_CACHE_DIR", out.toString());
        System.setProperty("ai.djl.offline", "true");
        long started = System.nanoTime();
        LibUtils.loadLibrary();
        if (!Files.isRegularFile(dir.resolve("libtorch_cpu.so")) || !hasJni(dir)) {
            throw new IllegalStateException("DJL did not unpack libtorch into " + dir + " (its layout changed?)");
        }
        System.out.println("libtorch: unpacked into " + dir + " in " + (System.nanoTime() - started) / 1_000_000 + " ms");
    }

    private static boolean hasJni(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith("-libdjl_torch.so"));
        }
    }
}
