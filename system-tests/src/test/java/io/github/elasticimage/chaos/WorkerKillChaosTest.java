package io.github.elasticimage.chaos;

import io.github.elasticimage.e2e.WorkerJobLog;
import io.github.elasticimage.local.ServiceProcess;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault 1: {@code kill -9} of a classifier worker in the middle of a 100-request burst. The requests it held come back
 * after the request queue's visibility timeout (5 s here) and the other worker answers them; a request it had answered
 * but not yet deleted is processed again, its result written again under the same key and the second answer dropped
 * by the web tier. Every caller must get exactly its own, correct answer. The kill must hit a worker that holds unfinished
 * requests (more requests in flight after it died than the surviving worker may hold).
 */
class WorkerKillChaosTest {

    private static final int REQUESTS = 100;
    private static final int KILL_AFTER_ANSWERS = 20;

    @Test
    void killDashNineOfAWorkerMidBurstLosesNothingAndAnswersEachCallerOnce() throws Exception {
        ChaosStack chaos = ChaosStack.get();
        chaos.ensureWorkers(2);
        List<Path> images = chaos.images();
        List<ServiceProcess> workers = chaos.stack.workers().stream().filter(ServiceProcess::isAlive).toList();
        assertTrue(workers.size() >= 2, "need two live workers, have " + workers.size());
        int jobsBefore = ChaosStack.JOBS.size();

        long start = System.nanoTime();
        AtomicInteger answers = new AtomicInteger();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        List<Path> sentImages = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            sentImages.add(images.get(i % images.size()));
            calls.add(ChaosStack.classify(chaos.stack.webUrl(), sentImages.get(i), Duration.ofSeconds(200))
                    .whenComplete((r, e) -> answers.incrementAndGet()));
        }
        // Kill only while the queue shows more requests held than the other worker alone may hold: then the victim holds
        // some (received, not yet deleted) and the kill cannot hit an idle worker.
        int maxInFlight = workerMaxInFlight();
        String requestQueue = chaos.cloud.resources().requestQueue();
        ChaosStack.await(() -> answers.get() >= KILL_AFTER_ANSWERS && chaos.queueCount(requestQueue,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE) > maxInFlight,
                Duration.ofSeconds(150), KILL_AFTER_ANSWERS + " answers and more than " + maxInFlight
                        + " requests in flight");
        ServiceProcess victim = workers.get(0);
        int answeredAtKill = answers.get();
        long killedAtMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ProcessHandle.of(victim.pid()).map(ProcessHandle::destroyForcibly).orElse(false),
                "could not kill " + victim.name());
        ChaosStack.await(() -> !victim.isAlive(), Duration.ofSeconds(10), victim.name() + " gone");
        // Received and not deleted: the dead worker's unfinished requests plus the live worker's (at most
        // MAX_IN_FLIGHT); the former reappear once their visibility timeout (5 s) runs out. Counted after the victim is
        // dead, so more than MAX_IN_FLIGHT means the victim died holding at least the difference.
        long inFlightAtKill = chaos.queueCount(requestQueue,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
        assertTrue(inFlightAtKill > maxInFlight, "the kill hit an idle worker: " + inFlightAtKill
                + " requests in flight after it died, the live worker alone may hold " + maxInFlight);
        System.out.printf("chaos-event: killed %s (pid %d, SIGKILL) after %d answers at +%d ms, holding at least %d"
                + " unfinished request(s)%n", victim.name(), victim.pid(), answeredAtKill, killedAtMs,
                inFlightAtKill - maxInFlight);

        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).exceptionally(e -> null)
                .get(210, TimeUnit.SECONDS);
        long doneMs = (System.nanoTime() - start) / 1_000_000;

        AnswerTally tally = AnswerTally.of(sentImages, calls, chaos.expected);
        Set<String> ids = tally.ids();

        // What the workers did: each answered id processed by someone; a few processed twice (answered, not deleted).
        // A worker logs its job line after it answered and stored, before the delete (a job cut off before its line is
        // delivered again and logged then): give the last lines a moment to arrive.
        long logDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < logDeadline && !ChaosStack.JOBS.since(jobsBefore).stream().map(WorkerJobLog.Job::id)
                .collect(Collectors.toSet()).containsAll(ids)) {
            Thread.sleep(100);
        }
        List<WorkerJobLog.Job> burstJobs = ChaosStack.JOBS.since(jobsBefore);
        Map<String, Long> perId = burstJobs.stream().filter(j -> ids.contains(j.id()))
                .collect(Collectors.groupingBy(WorkerJobLog.Job::id, Collectors.counting()));
        long processedTwice = perId.values().stream().filter(n -> n > 1).count();
        long byVictim = burstJobs.stream().filter(j -> j.worker().equals(victim.name())).count();
        long maxJobMs = burstJobs.stream().mapToLong(WorkerJobLog.Job::totalMs).max().orElse(-1);
        long maxQueueWaitMs = burstJobs.stream().mapToLong(WorkerJobLog.Job::queueWaitMs).max().orElse(-1);

        System.out.println(tally.line("worker-kill"));
        System.out.printf("chaos-detail: worker-kill done_ms=%d killed_at_ms=%d in_flight_at_kill=%d "
                + "jobs_by_killed_worker=%d processed_twice=%d max_queue_wait_ms=%d max_job_total_ms=%d "
                + "visibility_timeout_s=%d%n", doneMs, killedAtMs, inFlightAtKill, byVictim, processedTwice,
                maxQueueWaitMs, maxJobMs, ChaosStack.VISIBILITY_TIMEOUT_S);

        assertTrue(tally.problems().isEmpty(), "failed or wrong answers: " + tally.problems());
        assertEquals(REQUESTS, tally.answered());
        assertEquals(REQUESTS, tally.correct());
        assertEquals(0, tally.duplicates(), "a caller got another caller's answer");
        assertEquals(REQUESTS, ids.size());
        assertEquals(ids, perId.keySet(), "answered ids differ from the ids the workers processed");
        assertFalse(victim.isAlive());
        // Visible and held: the web tier's dead-letter watcher hides each dead letter it reports.
        assertEquals(0, chaos.queueCount(chaos.cloud.resources().deadLetterQueue(),
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES) + chaos.queueCount(
                chaos.cloud.resources().deadLetterQueue(), QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE),
                "requests dead-lettered");
    }

    /**
     * The workers' bound on requests held at once: ChaosStack sets no {@code MAX_IN_FLIGHT}, so it is the default in the
     * classifier's application.yml (read from this checkout, the one source of that number).
     */
    private static int workerMaxInFlight() throws IOException {
        Path yml = Path.of(System.getProperty("project.root", "..")).resolve("classifier-service")
                .resolve("src/main/resources/application.yml");
        Matcher m = Pattern.compile("\\$\\{MAX_IN_FLIGHT:(\\d+)}").matcher(Files.readString(yml));
        assertTrue(m.find(), "no MAX_IN_FLIGHT default in " + yml);
        return Integer.parseInt(m.group(1));
    }
}
