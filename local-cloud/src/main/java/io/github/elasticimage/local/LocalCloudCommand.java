package io.github.elasticimage.local;

import io.github.elasticimage.local.scaling.LocalAutoscaler;
import io.github.elasticimage.local.scaling.ScaleOutGate;
import io.github.elasticimage.local.scaling.ScalingEngine;
import io.github.elasticimage.local.scaling.ScalingPolicy;
import io.github.elasticimage.local.scaling.TimelineServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code make run}: the whole system on this machine, offline. Starts ElasticMQ and S3Proxy on loopback, creates the
 * queues and buckets, starts the web tier and classifier workers as their own JVMs, prints a {@code ready} line, and on
 * Ctrl-C (SIGINT) or SIGTERM stops everything it started.
 */
@Command(name = "local-cloud", mixinStandardHelpOptions = true,
        description = "Runs the image-recognition system locally: SQS and S3 servers, web tier and classifier workers.")
public final class LocalCloudCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Loopback address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Web-service port (default: ${DEFAULT-VALUE}).")
    int webPort;

    @Option(names = "--management-port", defaultValue = "8085",
            description = "Web-service management port: /api/v1/status, /prometheus, detailed /health "
                    + "(default: ${DEFAULT-VALUE}).")
    int managementPort;

    @Option(names = "--sqs-port", defaultValue = "9324", description = "SQS server port (default: ${DEFAULT-VALUE}).")
    int sqsPort;

    @Option(names = "--s3-port", defaultValue = "9000", description = "S3 server port (default: ${DEFAULT-VALUE}).")
    int s3Port;

    @Option(names = "--data-dir", defaultValue = ".local-cloud",
            description = "Folder of the local data: S3's objects in s3/, SQS's queues and messages in sqs/ "
                    + "(default: ${DEFAULT-VALUE}; `make clean` or deleting it starts empty).")
    Path dataDir;

    @Option(names = "--persist", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Keep SQS's queues and messages in --data-dir across restarts, like SQS (default: on; "
                    + "--no-persist keeps them in memory, lost on exit).")
    boolean persist;

    @Option(names = "--workers", defaultValue = "1",
            description = "Fewest classifier workers, started at once and kept while idle: the local override of the "
                    + "policy's minCapacity (0 = the AWS policy; the first request then waits for a worker to boot). "
                    + "With --no-autoscale, the fixed number of workers (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--max-workers",
            description = "Most classifier workers the autoscaler runs (default: the policy's local.maxCapacity; at most 20).")
    Integer maxWorkers;

    @Option(names = "--autoscale", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Scale workers with the request queue's backlog per the scaling policy (default: on).")
    boolean autoscale;

    @Option(names = "--policy",
            description = "Scaling policy file (default: the repository's scaling-policy.json packaged in this jar).")
    Path policyFile;

    @Option(names = "--autoscaler-port", defaultValue = "8079",
            description = "Port of GET /scaling/timeline, the autoscaler's decisions as JSON (default: ${DEFAULT-VALUE}).")
    int autoscalerPort;

    @Option(names = "--warm-up", defaultValue = SystemWarmUp.PER_ROUND_TEXT, paramLabel = "N",
            description = "Before printing ready, send bursts of N synthetic images through the web tier until a "
                    + "burst is no longer 10%% faster (at most 3), so the first real burst finds every process warm; "
                    + "0 = off, skipped with --workers 0 (default: ${DEFAULT-VALUE}).")
    int warmUp;

    @Option(names = "--worker-threads", description = "WORKER_THREADS of each worker (default: the service's own).")
    Integer workerThreads;

    @Mixin
    LaunchOptions launch = new LaunchOptions();

    @Option(names = "--web-jvm-opts", defaultValue = LocalSystem.WEB_JVM_OPTIONS, split = " ",
            description = "JVM options of the web process (default: ${DEFAULT-VALUE}).")
    List<String> webJvmOpts = new ArrayList<>();

    @Option(names = "--worker-jvm-opts", split = " ", description = "JVM options of each worker process (default: "
            + "local-worker-jvm.options and classifier-service's worker-jvm.options: ${DEFAULT-VALUE}).")
    List<String> workerJvmOpts = new ArrayList<>(LocalSystem.WORKER_JVM_ARGS);

    @Option(names = "--worker-cache-dir", description = "Folder of the workers' class-data cache (default: "
            + "<data-dir>/worker-cache).")
    Path workerCacheDir;

    /** The autoscaler and the server of its timeline, started together. */
    private record Autoscaling(LocalAutoscaler scaler, TimelineServer timeline) {
    }

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        requireCommand(launch.workerCommand, "--worker-command");
        requireFree(webPort, "--port");
        requireFree(managementPort, "--management-port");
        requireFree(sqsPort, "--sqs-port");
        requireFree(s3Port, "--s3-port");
        ScalingPolicy policy = policyFile == null ? ScalingPolicy.packaged() : ScalingPolicy.load(policyFile);
        int maxCapacity = maxWorkers == null ? policy.local().maxCapacity() : maxWorkers;
        if (autoscale) {
            checkAutoscaling(maxCapacity);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        LocalAwsServers cloud = LocalAwsServers.start(host, sqsPort, s3Port, dataDir.resolve("s3"),
                persist ? dataDir.resolve("sqs") : null, LocalResources.defaults());
        LocalSystem stack = startSystem(cloud, policy);
        warmUp(cloud, stack);
        Autoscaling autoscaling = autoscale ? startAutoscaling(cloud, stack, policy, maxCapacity) : null;
        stopAllOnShutdown(cloud, stack, autoscaling, stopped);
        printReady(started, cloud, stack, autoscaling, policy, maxCapacity);
        stopped.await();
        return 0;
    }

    private void checkAutoscaling(int maxCapacity) {
        requireFree(autoscalerPort, "--autoscaler-port");
        if (maxCapacity < 1 || maxCapacity > ScalingPolicy.CAPACITY_LIMIT || workers < 0 || workers > maxCapacity) {
            throw new CommandLine.ParameterException(new CommandLine(this), "need 0 <= --workers <= --max-workers <= "
                    + ScalingPolicy.CAPACITY_LIMIT + ", got " + workers + " and " + maxCapacity);
        }
    }

    /** The web tier and the first workers as processes; stops the AWS servers again when that fails. */
    private LocalSystem startSystem(LocalAwsServers cloud, ScalingPolicy policy) {
        Map<String, String> workerEnv = new LinkedHashMap<>();
        if (workerThreads != null) {
            workerEnv.put("WORKER_THREADS", Integer.toString(workerThreads));
        }
        Map<String, String> webEnv = new LinkedHashMap<>();
        webEnv.put(ServiceProcess.MANAGEMENT_PORT, Integer.toString(managementPort));
        if (autoscale) {
            // The web tier can show the autoscaler's decisions (SCALING_TIMELINE_URL in its application.yml).
            webEnv.put("SCALING_TIMELINE_URL", "http://" + host + ":" + autoscalerPort + TimelineServer.PATH);
        }
        WorkerJvm workerJvm = WorkerJvm.resolve(launch.workerCache, launch.workerJavaHome,
                workerCacheDir != null ? workerCacheDir : dataDir.resolve("worker-cache"),
                launch.classifierJar, workerJvmOpts);
        LocalSystem.Settings settings = new LocalSystem.Settings(host, webPort, launch.webJar, launch.classifierJar,
                webJvmOpts, workerJvmOpts, workerEnv, webEnv, launch.workerCommand,
                autoscale ? policy.local().bootNice() : 0, workerJvm);
        try {
            return LocalSystem.start(cloud, settings, workers, System.out);
        } catch (RuntimeException e) {
            cloud.close();
            throw e;
        }
    }

    /** The warm-up before ready (the autoscaler starts after it, so it scales nothing); stops everything on a crash. */
    private void warmUp(LocalAwsServers cloud, LocalSystem stack) {
        if (warmUp <= 0 || workers == 0) {
            return;
        }
        try {
            SystemWarmUp.Result result = SystemWarmUp.run(stack, cloud, warmUp);
            System.out.println("warm-up: " + result.describe());
        } catch (RuntimeException e) {
            stack.close();
            cloud.close();
            throw e;
        }
    }

    /** The autoscaler over the request queue and its timeline server; stops everything again when that fails. */
    private Autoscaling startAutoscaling(LocalAwsServers cloud, LocalSystem stack, ScalingPolicy policy,
                                         int maxCapacity) {
        try {
            LocalAutoscaler autoscaler = new LocalAutoscaler(cloud.sqs(),
                    cloud.queueUrl(cloud.resources().requestQueue()), new ScalingEngine(policy, workers, maxCapacity),
                    java.time.Duration.ofSeconds(policy.local().periodSeconds()), stack, workers,
                    ScaleOutGate.of(policy.local()));
            TimelineServer timeline = TimelineServer.start(host, autoscalerPort, autoscaler::timeline);
            autoscaler.start();
            return new Autoscaling(autoscaler, timeline);
        } catch (RuntimeException e) {
            stack.close();
            cloud.close();
            throw e;
        }
    }

    /** On Ctrl-C (SIGINT) or SIGTERM: the autoscaler, then the processes, then the AWS servers. */
    private static void stopAllOnShutdown(LocalAwsServers cloud, LocalSystem stack, Autoscaling autoscaling,
                                          CountDownLatch stopped) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping: autoscaler, workers, web tier, SQS and S3 servers");
            try {
                if (autoscaling != null) {
                    autoscaling.scaler().close();
                    autoscaling.timeline().close();
                }
                stack.close();
            } finally {
                cloud.close();
                stopped.countDown();
            }
        }, "local-cloud-shutdown"));
    }

    private void printReady(long started, LocalAwsServers cloud, LocalSystem stack, Autoscaling autoscaling,
                            ScalingPolicy policy, int maxCapacity) {
        long ms = (System.nanoTime() - started) / 1_000_000;
        String url = "http://localhost:" + webPort;
        System.out.printf("ready: %s (web 1, workers %d, started in %.1f s; SQS %s, S3 %s; Ctrl-C stops everything)%n",
                url, stack.runningWorkers(), ms / 1000.0, cloud.sqsEndpoint(), cloud.s3Endpoint());
        System.out.printf("data: %s (SQS %s; `make clean` or deleting it starts empty)%n", dataDir.toAbsolutePath(),
                persist ? "queues and messages kept across restarts" : "in memory, --no-persist");
        if (autoscaling != null) {
            System.out.printf("autoscaler: workers %d..%d every %d s (policy %s); timeline: %s%n", workers, maxCapacity,
                    policy.local().periodSeconds(), policyFile == null ? "classpath:" + ScalingPolicy.FILE_NAME
                            : policyFile, autoscaling.timeline().url());
        }
        System.out.printf("operations: http://localhost:%d/api/v1/status, /prometheus, /health (details)%n",
                managementPort);
        System.out.printf("try: curl -F myfile=@samples/coffee.png %s/classify%n", url);
    }

    /** The command's program is an executable file, or found on the PATH (e.g. taskset, from util-linux). */
    private void requireCommand(List<String> command, String option) {
        if (command.isEmpty()) {
            return;
        }
        String program = command.get(0);
        boolean found = program.contains("/") ? java.nio.file.Files.isExecutable(Path.of(program))
                : java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                        .anyMatch(dir -> !dir.isEmpty() && java.nio.file.Files.isExecutable(Path.of(dir, program)));
        if (!found) {
            throw new CommandLine.ParameterException(new CommandLine(this), option + ": '" + program
                    + "' is not an executable file nor on the PATH (taskset comes with util-linux)");
        }
    }

    private void requireFree(int port, String option) {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(port, 1, java.net.InetAddress.getByName(host))) {
            socket.setReuseAddress(true);
        } catch (java.io.IOException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), "port " + port + " on " + host
                    + " is in use (is another `make run` still running?); choose another with " + option);
        }
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new LocalCloudCommand());
        // Exit explicitly: the embedded servers' threads would otherwise keep a failed start alive.
        System.exit(cli.execute(args));
    }
}
