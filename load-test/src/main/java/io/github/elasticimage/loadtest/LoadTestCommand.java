package io.github.elasticimage.loadtest;

import io.github.elasticimage.loadtest.aws.AwsScalingSource;
import io.github.elasticimage.scaling.ScalingPoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.regions.Region;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * Fires N classification requests at the web tier from one start moment and reports what came back: counts, labels
 * checked against the expected ones, latency percentiles, throughput, errors by kind and, when a scaling timeline is
 * available, what the worker tier did. A request the web tier pushes back (503 or 429 with {@code Retry-After}) is
 * retried after the delay it asks for, within {@code --max-retries} and {@code --retry-for}. Exit status 0 only when
 * every request succeeded with the expected label.
 */
@Command(name = "load-test", mixinStandardHelpOptions = true, version = "load-test 0.1.0",
        description = "Sends N concurrent image classification requests and reports correctness, latency and scaling.",
        footer = {"", "Exit status: 0 all requests ok and every checked label right; 1 a request failed or a label "
                + "was wrong; 2 bad options or inputs."})
public final class LoadTestCommand implements Callable<Integer> {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    /** Region codes: us-east-1, eu-west-3, us-gov-west-1, ap-southeast-4, cn-north-1. */
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]+");

    @Spec
    private CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://localhost:8080",
            description = "Web tier base URL; requests go to <url>/classify (default: ${DEFAULT-VALUE}).")
    private URI url;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "File whose first line is an API key, sent as Authorization: Bearer (a web tier with "
                    + "API_KEYS set; a file, so the key is not in the process list).")
    private Path apiKeyFile;

    @Option(names = "--images", paramLabel = "DIR",
            description = "Folder of images to send in turn (default: the bundled samples coffee.png, chelsea.png,"
                    + " astronaut.png, rocket.jpg, checked against the labels the bundled model gives them).")
    private Path images;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "100",
            description = "Number of requests (default: ${DEFAULT-VALUE}).")
    private int requests;

    @Option(names = "--concurrency", paramLabel = "C",
            description = "Requests in flight at most (default: N, one closed burst released at one start moment).")
    private Integer concurrency;

    @Option(names = "--field", paramLabel = "FIELD", defaultValue = "myfile",
            description = "Multipart field: myfile, inputFile (answer <stem>:<label>) or file (default: ${DEFAULT-VALUE}).")
    private String field;

    @Option(names = "--expected", paramLabel = "CSV",
            description = "Expected labels, rows file,label (a header naming file and label columns is allowed).")
    private Path expected;

    @Option(names = "--labels-from-names",
            description = "Expect the label of the WordNet id that starts each file name (<wnid>_name.JPEG); needs --synsets.")
    private boolean labelsFromNames;

    @Option(names = "--synsets", paramLabel = "FILE",
            description = "Lines '<wnid> <label>' for --labels-from-names, e.g. ../shared/models/synset_wnid.txt.")
    private Path synsets;

    @Option(names = "--timeout", defaultValue = "90s", paramLabel = "DURATION",
            description = "Timeout of each attempt, e.g. 90s, 2m, 500ms (default: ${DEFAULT-VALUE}; the web tier answers 504"
                    + " after its RESULT_TIMEOUT, 60s by default).")
    private String timeout;

    @Option(names = "--max-retries", paramLabel = "N", defaultValue = "30",
            description = "Retries of a request answered 503 or 429 with a Retry-After header (the web tier's admission"
                    + " pushing back), each after the delay the header gives plus up to a quarter more of jitter; other"
                    + " errors are never retried; 0 turns retries off (default: ${DEFAULT-VALUE}). A request's latency"
                    + " runs from its first attempt to its last answer, waits included; one still pushed back at the"
                    + " bounds counts as failed.")
    private int maxRetries;

    @Option(names = "--retry-for", paramLabel = "DURATION", defaultValue = "2m",
            description = "No retry starts later than this after the request's first attempt (default: ${DEFAULT-VALUE}).")
    private String retryFor;

    @Option(names = "--report", paramLabel = "DIR",
            description = "Write report.html (charts embedded) and requests.csv into this folder.")
    private Path report;

    @Option(names = "--timeline-url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8079/scaling/timeline",
            description = "Local autoscaler's scaling timeline, sampled during the run; 'none' to skip"
                    + " (default: ${DEFAULT-VALUE}).")
    private String timelineUrl;

    @Option(names = "--sample-interval", defaultValue = "1s", paramLabel = "DURATION",
            description = "How often the scaling timeline is sampled (default: ${DEFAULT-VALUE}).")
    private String sampleInterval;

    @Option(names = "--wait-scale-in", defaultValue = "0s", paramLabel = "DURATION",
            description = "After the last answer, keep sampling until the workers are back to their minimum, at most"
                    + " this long (default: ${DEFAULT-VALUE}).")
    private String waitScaleIn;

    @Option(names = "--asg-name", paramLabel = "NAME", description = "AWS: Auto Scaling group of the workers, sampled instead of the"
            + " timeline (needs AWS credentials from the default chain).")
    private String asgName;

    @Option(names = "--region", paramLabel = "REGION", description = "AWS: region of --asg-name and --queue-url, e.g."
            + " us-east-1 (default: the SDK's default region chain, AWS_REGION or the profile's).")
    private String region;

    @Option(names = "--queue-url", paramLabel = "URL", description = "AWS: request queue URL, sampled for visible and in-flight messages.")
    private String queueUrl;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (a bar on a terminal, else plain lines), bar, lines or none (default: ${DEFAULT-VALUE}).")
    private String progress;

    private final PrintStream out;
    private final boolean outIsTerminal;

    public LoadTestCommand() {
        this(System.out, System.console() != null);
    }

    public LoadTestCommand(PrintStream out, boolean outIsTerminal) {
        this.out = out;
        this.outIsTerminal = outIsTerminal;
    }

    private String apiKey() throws IOException {
        if (apiKeyFile == null) {
            return null;
        }
        String key = Files.readAllLines(apiKeyFile, StandardCharsets.UTF_8).stream().map(String::strip)
                .filter(line -> !line.isEmpty()).findFirst().orElse("");
        if (key.isEmpty()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--api-key-file " + apiKeyFile
                    + " has no key");
        }
        return key;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadTestCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        validate();
        Workload workload = workload();
        int slots = concurrency == null ? requests : concurrency;
        Duration requestTimeout = duration("--timeout", timeout);
        URI classify = URI.create(url.toString().replaceAll("/+$", "") + "/classify");
        long checkedImages = workload.images().stream().filter(i -> workload.expectedFor(i) != null).count();

        LoadRunner.Retries retries = new LoadRunner.Retries(maxRetries, duration("--retry-for", retryFor));
        String retryText = maxRetries == 0 ? "retries off"
                : "retries on 503/429 with Retry-After: at most " + maxRetries + " within " + retryFor;
        out.printf(Locale.ROOT, "load-test: %d requests to %s (field %s), concurrency %d, timeout %s, %s%n", requests,
                classify, field, slots, timeout, retryText);
        out.printf(Locale.ROOT, "images     %d from %s, %d with an expected label%n", workload.images().size(),
                workload.origin(), checkedImages);

        StringBuilder whyNoSource = new StringBuilder();
        Optional<ScalingSource> source = scalingSource(whyNoSource);
        TimelineSampler sampler = source.map(s -> new TimelineSampler(s, duration("--sample-interval",
                sampleInterval))).orElse(null);
        LoadRunner.Run run;
        try {
            if (sampler != null) {
                sampler.start();
            }
            Progress.Mode mode = Progress.Mode.valueOf(progress.toUpperCase(Locale.ROOT));
            try (Progress bar = Progress.create(mode, requests, out, outIsTerminal)) {
                run = new LoadRunner(requestTimeout).run(workload,
                        new LoadRunner.Settings(classify, field, requests, slots, requestTimeout, apiKey(), retries), bar);
            }
            if (sampler != null) {
                waitForScaleIn(sampler, duration("--wait-scale-in", waitScaleIn));
            }
        } finally {
            if (sampler != null) {
                sampler.close();
            }
        }

        ScalingSummary scaling = sampler != null && sampler.available()
                ? ScalingSummary.of(sampler.points(), run.startEpochMillis()) : null;
        Summary summary = new Summary(run, scaling);
        String sourceName = sampler != null ? sampler.describe() : whyNoSource.isEmpty() ? null : "AWS";
        String unavailable = sampler != null ? sampler.lastError() : whyNoSource.toString();
        summary.print(out, sourceName, unavailable);
        if (report != null) {
            Report.write(report, new Report.Parameters(url.toString(), field, requests, slots,
                    workload.images().size() + " from " + workload.origin(), timeout, retryText, sourceName), summary);
            out.println("report     " + report.resolve(Report.HTML) + ", " + report.resolve(Report.CSV));
        }
        out.println(summary.lastLine());
        out.flush();
        return summary.passed() ? EXIT_OK : EXIT_FAILED;
    }

    private void validate() {
        if (requests < 1) {
            throw usage("--requests must be at least 1");
        }
        if (concurrency != null && concurrency < 1) {
            throw usage("--concurrency must be at least 1");
        }
        if (maxRetries < 0) {
            throw usage("--max-retries must be 0 (off) or more");
        }
        if (!field.equals("myfile") && !field.equals("inputFile") && !field.equals("file")) {
            throw usage("--field must be myfile, inputFile or file, not " + field);
        }
        if (labelsFromNames && synsets == null) {
            throw usage("--labels-from-names needs --synsets FILE (lines '<wnid> <label>')");
        }
        try {
            Progress.Mode.valueOf(progress.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw usage("--progress must be auto, bar, lines or none, not " + progress);
        }
        if (region != null && !REGION.matcher(region).matches()) {
            throw usage("--region must be a region code such as us-east-1 or eu-west-3, not " + region);
        }
        duration("--timeout", timeout);
        duration("--sample-interval", sampleInterval);
        duration("--wait-scale-in", waitScaleIn);
        if (duration("--retry-for", retryFor).isNegative()) {
            throw usage("--retry-for must not be negative");
        }
    }

    private Workload workload() {
        try {
            Workload workload = images == null ? Workload.bundled() : Workload.fromDirectory(images);
            if (expected != null || labelsFromNames) {
                Map<String, String> labels = new LinkedHashMap<>();
                if (labelsFromNames) {
                    labels.putAll(Workload.labelsFromNames(workload.images(), synsets));
                }
                if (expected != null) {
                    labels.putAll(Workload.readExpected(expected));
                }
                workload = workload.withExpected(labels);
            }
            return workload;
        } catch (IOException e) {
            throw usage(e.getMessage());
        }
    }

    private Optional<ScalingSource> scalingSource(StringBuilder whyNot) {
        if (asgName != null || queueUrl != null) {
            return AwsScalingSource.create(asgName, queueUrl, region == null ? null : Region.of(region), whyNot)
                    .map(ScalingSource.class::cast);
        }
        if (timelineUrl == null || timelineUrl.isBlank() || timelineUrl.equalsIgnoreCase("none")) {
            return Optional.empty();
        }
        return Optional.of(new HttpTimelineSource(URI.create(timelineUrl)));
    }

    private static void waitForScaleIn(TimelineSampler sampler, Duration wait) throws InterruptedException {
        if (wait.isZero() || !sampler.available()) {
            return;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        long min = sampler.points().stream().mapToLong(ScalingPoint::running).min().orElse(0);
        while (System.nanoTime() < deadline && sampler.latestRunning() > min) {
            Thread.sleep(250);
        }
    }

    /** 90s, 2m, 500ms, 1h, or an ISO-8601 duration (PT90S). */
    Duration duration(String option, String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (value.startsWith("pt")) {
                return Duration.parse(value.toUpperCase(Locale.ROOT));
            }
            if (value.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            }
            long amount = Long.parseLong(value.substring(0, value.length() - 1));
            switch (value.charAt(value.length() - 1)) {
                case 's':
                    return Duration.ofSeconds(amount);
                case 'm':
                    return Duration.ofMinutes(amount);
                case 'h':
                    return Duration.ofHours(amount);
                default:
                    return Duration.ofSeconds(Long.parseLong(value));
            }
        } catch (RuntimeException e) {
            throw usage(option + ": not a duration: " + text + " (e.g. 90s, 2m, 500ms)");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
