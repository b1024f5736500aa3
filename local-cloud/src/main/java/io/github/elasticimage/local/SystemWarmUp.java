package io.github.elasticimage.local;

import io.github.elasticimage.contract.Messages;
import io.github.elasticimage.http.MultipartForm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Warms the whole request path before {@code make run} prints ready: closed bursts of synthetic images through the web
 * tier's {@code POST /classify}, so the web tier (multipart upload, S3 put, SQS send, answer), the loopback SQS and S3
 * servers and the worker have compiled and sized their hot paths before the first real burst; measured on the shared
 * 2-core machine, a cold first burst of 100 took twice as long as the next one (docs/scaling.md, the local section).
 * Rounds of {@code perRound} requests at once until a round is no longer 10% faster than the one before, at most
 * {@code maxRounds}; afterwards the uploads and results it made are deleted again. Needs a worker: with none, the caller
 * skips it. A request that fails (e.g. a 504 on an overloaded machine) ends the warm-up early, not the start: the
 * system works, it is only not warm, and the result says why.
 */
public final class SystemWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(SystemWarmUp.class);
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(120);
    /** Requests per round by default (make run's --warm-up). */
    public static final int PER_ROUND = 50;
    /** {@link #PER_ROUND} as an option's default text. */
    public static final String PER_ROUND_TEXT = "" + PER_ROUND;
    /** Most rounds. */
    public static final int MAX_ROUNDS = 3;

    /** What the warm-up did: each complete round's seconds, and why it stopped early (empty: it did not). */
    public record Result(int perRound, List<Double> roundSeconds, String stoppedBecause) {

        public String describe() {
            return String.format(Locale.ROOT, "%d round(s) of %d requests: %s s%s", roundSeconds.size(), perRound,
                    roundSeconds.stream().map(s -> String.format(Locale.ROOT, "%.1f", s)).toList(),
                    stoppedBecause.isEmpty() ? "" : "; stopped early, the first burst may be slower: " + stoppedBecause);
        }
    }

    private SystemWarmUp() {
    }

    /** Runs the warm-up against {@code stack}'s web tier; cleans its objects out of {@code cloud}'s buckets. */
    public static Result run(LocalSystem stack, LocalAwsServers cloud, int perRound) {
        return run(stack, cloud, perRound, MAX_ROUNDS);
    }

    /** As {@link #run(LocalSystem, LocalAwsServers, int)}, with at most {@code maxRounds} rounds. */
    public static Result run(LocalSystem stack, LocalAwsServers cloud, int perRound, int maxRounds) {
        List<byte[]> images = List.of(image("jpg", 1), image("png", 2), image("jpg", 3), image("png", 4));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI url = URI.create(stack.webUrl() + "/classify");
        List<Double> rounds = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        String stoppedBecause = "";
        // Its requests' one line each (web tier and worker) would bury the start-up output.
        stack.muteOutput(line -> line.contains(" classify id=") || line.contains(" job id="));
        try {
            while (rounds.size() < maxRounds) {
                long start = System.nanoTime();
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                for (int i = 0; i < perRound; i++) {
                    boolean jpeg = i % 2 == 0;
                    HttpRequest request = MultipartForm.create()
                            .file("myfile", "warm-up-" + i + (jpeg ? ".jpg" : ".png"), jpeg ? "image/jpeg" : "image/png",
                                    images.get(i % images.size()))
                            .post(HttpRequest.newBuilder(url).timeout(REQUEST_TIMEOUT)
                                    .header("Accept", "application/json"))
                            .build();
                    calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
                }
                for (CompletableFuture<HttpResponse<String>> call : calls) {
                    try {
                        HttpResponse<String> response = call.join();
                        Matcher id = ID.matcher(response.body());
                        if (id.find()) {
                            ids.add(id.group(1));
                        }
                        if (response.statusCode() != 200 && stoppedBecause.isEmpty()) {
                            stoppedBecause = "a request answered " + response.statusCode() + ": " + response.body();
                        }
                    } catch (RuntimeException e) {
                        if (stoppedBecause.isEmpty()) {
                            stoppedBecause = "a request failed: " + (e.getCause() == null ? e : e.getCause());
                        }
                    }
                }
                if (!stoppedBecause.isEmpty()) {
                    break;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                rounds.add(seconds);
                LOG.debug("warm-up round {}: {} requests in {} s", rounds.size(), perRound, seconds);
                int n = rounds.size();
                if (n >= 2 && rounds.get(n - 1) > 0.9 * rounds.get(n - 2)) {
                    break; // no longer getting faster
                }
            }
        } finally {
            stack.muteOutput(line -> false);
            deleteObjects(cloud, ids);
        }
        return new Result(perRound, List.copyOf(rounds), stoppedBecause);
    }

    /** Its uploads (if the worker left any) and results: the keys that start with a warm-up request's id. */
    private static void deleteObjects(LocalAwsServers cloud, List<String> ids) {
        for (String id : ids) {
            try {
                cloud.s3().deleteObject(b -> b.bucket(cloud.resources().inputBucket())
                        .key(Messages.UPLOAD_PREFIX + id));
                String output = cloud.resources().outputBucket();
                cloud.s3().listObjectsV2(b -> b.bucket(output).prefix(id)).contents()
                        .forEach(object -> cloud.s3().deleteObject(b -> b.bucket(output).key(object.key())));
            } catch (RuntimeException e) {
                LOG.debug("warm-up object of {} not deleted: {}", id, e.toString());
            }
        }
    }

    /** A 320x240 image of random pixels (as much work to decode as a photo, no file needed), as JPEG or PNG. */
    static byte[] image(String format, long seed) {
        BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
