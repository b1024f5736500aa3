package io.github.elasticimage.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.elasticimage.e2e.WorkerJobLog;
import io.github.elasticimage.local.ServiceProcess;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault 1: {@code kill -9} of a classifier worker in the middle of a 100-request burst. The requests it held come back
 * after the request queue's visibility timeout (5 s here) and the other worker answers them; a request it had answered
 * but not yet deleted is processed again, its result written again under the same key and the second answer dropped
 * by the web tier. Every caller must get exactly its own, correct answer. The kill must hit a worker that holds unfinished
 * requests: at least two by its own count ({@code /health}'s jobsInFlight) read just before the SIGKILL.
 */
class WorkerKillChaosTest {

    private static final int REQUESTS = 100;
    private static final int KILL_AFTER_ANSWERS = 20;
    /** Unfinished requests the victim must hold when killed: more than one, so a job ending as the kill lands leaves one. */
    private static final int MIN_HELD = 2;

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
        // Kill only while the victim itself says it holds unfinished requests (its /health: lifecycleGate.jobsInFlight,
        // the jobs received and not yet deleted), at least MIN_HELD of them, read just before the SIGKILL. The queue's
        // count of messages in flight cannot tell whose they are: the other worker may hold up to MAX_IN_FLIGHT, and
        // a threshold on the total failed a correct run under load (4 in flight, both workers holding some).
        ServiceProcess victim = workers.get(0);
        int[] heldAtKill = {0};
        ChaosStack.await(() -> {
            if (answers.get() < KILL_AFTER_ANSWERS) {
                return false;
            }
            heldAtKill[0] = jobsInFlight(victim);
            return heldAtKill[0] >= MIN_HELD;
        }, Duration.ofSeconds(150), KILL_AFTER_ANSWERS + " answers and " + victim.name() + " holding at least "
                + MIN_HELD + " unfinished requests");
        int answeredAtKill = answers.get();
        long killedAtMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ProcessHandle.of(victim.pid()).map(ProcessHandle::destroyForcibly).orElse(false),
                "could not kill " + victim.name());
        ChaosStack.await(() -> !victim.isAlive(), Duration.ofSeconds(10), victim.name() + " gone");
        long inFlightAfter = chaos.queueCount(chaos.cloud.resources().requestQueue(),
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
        System.out.printf("chaos-event: killed %s (pid %d, SIGKILL) after %d answers at +%d ms, holding %d unfinished"
                + " request(s) a moment before (its /health); %d in flight on the queue after it died%n", victim.name(),
                victim.pid(), answeredAtKill, killedAtMs, heldAtKill[0], inFlightAfter);

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
        System.out.printf("chaos-detail: worker-kill done_ms=%d killed_at_ms=%d held_at_kill=%d in_flight_after_kill=%d "
                + "jobs_by_killed_worker=%d processed_twice=%d max_queue_wait_ms=%d max_job_total_ms=%d "
                + "visibility_timeout_s=%d%n", doneMs, killedAtMs, heldAtKill[0], inFlightAfter, byVictim, processedTwice,
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

    /** The jobs a worker holds now, from its {@code /health} details; -1 when it does not answer. */
    private static int jobsInFlight(ServiceProcess worker) {
        HttpRequest request = HttpRequest.newBuilder(worker.baseUrl().resolve("/health"))
                .timeout(Duration.ofSeconds(2)).build();
        try {
            HttpResponse<String> response = ChaosStack.HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode held = ChaosStack.JSON.readTree(response.body()).findValue("jobsInFlight");
            return held == null ? -1 : held.asInt(-1);
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
