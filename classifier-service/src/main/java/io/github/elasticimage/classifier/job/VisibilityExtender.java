package io.github.elasticimage.classifier.job;

import io.github.elasticimage.classifier.config.WorkerProperties;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps long jobs invisible to other workers: a job still running after half the request queue's visibility timeout
 * gets its message's timeout extended by another full timeout, as long as it runs. Normal jobs (tens of milliseconds)
 * never need it; a slow one (huge image, overloaded host) is then not delivered to a second worker while the first
 * still works on it.
 *
 * <p>Extension is capped ({@code MAX_JOB_TIME}): a job still running after that long is abandoned. Its message is no
 * longer extended, so it becomes visible again within one visibility timeout and is redelivered, and dead-lettered
 * after maxReceiveCount receives; the job's abandon action (interrupt the job, free its slot) runs once
 * (docs/reliability.md).
 */
@Singleton
public class VisibilityExtender {

    private static final Logger LOG = LoggerFactory.getLogger(VisibilityExtender.class);

    private record Tracked(String queueUrl, Message message, long extendAtNanos, long abandonAtNanos,
                           Runnable abandon) {
    }

    private final SqsClient sqs;
    private final long maxJobNanos;
    private final Map<String, Tracked> jobs = new ConcurrentHashMap<>();
    private final Map<String, Integer> timeoutSeconds = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "visibility-extender");
        t.setDaemon(true);
        return t;
    });

    @Inject
    public VisibilityExtender(SqsClient sqs, WorkerProperties properties) {
        this(sqs, properties.maxJobTime());
    }

    VisibilityExtender(SqsClient sqs, Duration maxJobTime) {
        this.sqs = sqs;
        this.maxJobNanos = maxJobTime.toNanos();
        // Checked often, so an extension is never late even for short timeouts (it is due after half of one).
        timer.scheduleWithFixedDelay(this::extendDue, 250, 250, TimeUnit.MILLISECONDS);
    }

    /** The queue's visibility timeout in seconds, read once. */
    int timeoutOf(String queueUrl) {
        return timeoutSeconds.computeIfAbsent(queueUrl, url -> Integer.parseInt(sqs.getQueueAttributes(b -> b
                .queueUrl(url).attributeNames(QueueAttributeName.VISIBILITY_TIMEOUT)).attributes()
                .get(QueueAttributeName.VISIBILITY_TIMEOUT)));
    }

    /** Watches a job that, when abandoned, only stops being extended. */
    public void track(String queueUrl, Message message) {
        track(queueUrl, message, () -> { });
    }

    /** Watches a job from now on; {@code abandon} runs once if it is still tracked after {@code MAX_JOB_TIME}. */
    public void track(String queueUrl, Message message, Runnable abandon) {
        long now = System.nanoTime();
        long half = TimeUnit.SECONDS.toNanos(timeoutOf(queueUrl)) / 2;
        jobs.put(message.receiptHandle(), new Tracked(queueUrl, message, now + half, now + maxJobNanos, abandon));
    }

    public void untrack(Message message) {
        jobs.remove(message.receiptHandle());
    }

    private void extendDue() {
        long now = System.nanoTime();
        jobs.values().stream().filter(job -> now >= job.abandonAtNanos()).forEach(this::abandon);
        jobs.values().stream().filter(job -> now >= job.extendAtNanos()).forEach(job -> {
            int timeout = timeoutOf(job.queueUrl());
            try {
                sqs.changeMessageVisibility(b -> b.queueUrl(job.queueUrl())
                        .receiptHandle(job.message().receiptHandle()).visibilityTimeout(timeout));
                jobs.computeIfPresent(job.message().receiptHandle(), (k, v) -> new Tracked(v.queueUrl(), v.message(),
                        now + TimeUnit.SECONDS.toNanos(timeout) / 2, v.abandonAtNanos(), v.abandon()));
                LOG.info("job from message {} still running: visibility extended by {} s", job.message().messageId(),
                        timeout);
            } catch (RuntimeException e) {
                LOG.warn("could not extend visibility of message {}: {}", job.message().messageId(), e.toString());
            }
        });
    }

    private void abandon(Tracked job) {
        if (jobs.remove(job.message().receiptHandle()) == null) {
            return; // finished meanwhile
        }
        LOG.warn("job from message {} still running after MAX_JOB_TIME ({} s): abandoned, its message is left to "
                + "redelivery and the dead-letter queue", job.message().messageId(),
                TimeUnit.NANOSECONDS.toSeconds(maxJobNanos));
        try {
            job.abandon().run();
        } catch (RuntimeException e) {
            LOG.warn("abandoning the job from message {} failed: {}", job.message().messageId(), e.toString());
        }
    }

    /** Jobs being watched right now. */
    int tracked() {
        return jobs.size();
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
