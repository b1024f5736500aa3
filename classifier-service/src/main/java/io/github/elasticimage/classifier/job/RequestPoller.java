package io.github.elasticimage.classifier.job;

import io.github.elasticimage.aws.LongPollLoop;
import io.github.elasticimage.aws.QueueUrls;
import io.github.elasticimage.aws.ResourceNames;
import io.github.elasticimage.classifier.config.WorkerProperties;
import io.github.elasticimage.classifier.lifecycle.LifecycleGate;
import io.github.elasticimage.classifier.model.InferencePool;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker loop: long-polls the request queue (up to 10 messages, never more than it has free job slots,
 * {@code MAX_IN_FLIGHT}, so a busy worker leaves work to others), and runs each job on its own job thread; the CPU part
 * of each job runs on the {@code WORKER_THREADS} inference threads
 * ({@link io.github.elasticimage.classifier.model.InferencePool}). On shutdown it stops
 * receiving and lets the jobs in flight finish (graceful drain). It receives only once the JIT warm-up is done
 * ({@link InferencePool#awaitWarm}) and while the {@link LifecycleGate} is
 * open (with {@code LIFECYCLE_GATE=imds}: while the instance is InService); what a long poll brings after the gate
 * closed is made visible again at once, and the jobs in flight finish.
 */
@Context
@Singleton
public class RequestPoller implements ApplicationEventListener<ServerStartupEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(RequestPoller.class);

    private final SqsClient sqs;
    private final QueueUrls queueUrls;
    private final ResourceNames names;
    private final JobProcessor processor;
    private final WorkerProperties properties;
    private final VisibilityExtender visibility;
    private final LifecycleGate gate;
    private final InferencePool inference;
    /** Requests held at once: at least one per inference thread, {@code MAX_IN_FLIGHT} in all. */
    private final int slots;
    private final Semaphore freeThreads;
    private final ExecutorService workers;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean running;
    private Thread receiver;

    public RequestPoller(SqsClient sqs, QueueUrls queueUrls, ResourceNames names, JobProcessor processor,
                         WorkerProperties properties, VisibilityExtender visibility, LifecycleGate gate,
                         InferencePool inference) {
        this.inference = inference;
        this.visibility = visibility;
        this.gate = gate;
        this.sqs = sqs;
        this.queueUrls = queueUrls;
        this.names = names;
        this.processor = processor;
        this.properties = properties;
        this.slots = Math.max(properties.threads(), properties.maxInFlight());
        this.freeThreads = new Semaphore(slots);
        AtomicInteger n = new AtomicInteger();
        // Not a fixed pool: a job abandoned at MAX_JOB_TIME frees its slot even if its thread is stuck, and the next job
        // then needs a thread of its own (the semaphore still bounds the jobs held).
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "job-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void onApplicationEvent(ServerStartupEvent event) {
        if (receiver != null) {
            return;
        }
        running = true;
        receiver = new Thread(this::run, "request-poller");
        receiver.start();
        LOG.info("worker {} polling {}: {} inference thread(s), up to {} request(s) in flight", processor.worker(),
                names.requestQueue(), properties.threads(), slots);
    }

    private void run() {
        String url = queueUrls.urlOf(names.requestQueue());
        new LongPollLoop(names.requestQueue(), () -> running, LOG, () -> receiveAndStart(url)).run();
    }

    /**
     * One long poll for as many requests as there are free job slots, each started on its own; none before the JIT
     * warm-up is done or while the lifecycle gate is closed (this round then waits up to 1 s for them and ends). It
     * waits for half the slots to be free ({@link #receiveBatch}): an idle worker has them all free, so it polls at
     * once, while a busy one receives two or more requests per call instead of one per finished job (half the receive
     * calls under load, each of them CPU on the worker and at SQS), and the half still in flight keeps the inference
     * threads fed meanwhile.
     */
    private void receiveAndStart(String url) throws InterruptedException {
        if (!inference.awaitWarm(Duration.ofSeconds(1)) || !gate.awaitOpen(Duration.ofSeconds(1))) {
            return;
        }
        int batch = receiveBatch(slots);
        freeThreads.acquire(batch);
        int permits = batch + freeThreads.drainPermits();
        try {
            int max = Math.min(properties.maxMessages(), permits);
            List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(max)
                    .waitTimeSeconds(properties.waitSeconds())
                    .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).messages();
            if (!running || !gate.isOpen()) {
                release(url, messages);
                return;
            }
            for (Message message : messages) {
                permits--;
                inFlight.incrementAndGet();
                workers.execute(() -> runJob(url, message));
            }
        } finally {
            freeThreads.release(Math.max(0, permits));
        }
    }

    /** Free job slots a receive waits for: half of them (at least one). */
    static int receiveBatch(int slots) {
        return Math.max(1, slots / 2);
    }

    /** Makes messages received during shutdown or after the gate closed visible again at once, for other workers. */
    private void release(String url, List<Message> messages) {
        for (Message message : messages) {
            try {
                sqs.changeMessageVisibility(b -> b.queueUrl(url).receiptHandle(message.receiptHandle())
                        .visibilityTimeout(0));
            } catch (RuntimeException e) {
                LOG.debug("could not release message {}: {}", message.messageId(), e.toString());
            }
        }
    }

    private void runJob(String url, Message message) {
        JobSlot slot = new JobSlot();
        visibility.track(url, message, () -> {
            if (slot.abandon()) {
                freeSlot();
            }
        });
        try {
            processor.process(url, message);
        } catch (RuntimeException e) {
            // Left on the queue: it becomes visible again after the visibility timeout and is retried, then
            // dead-lettered after maxReceiveCount receives.
            if (slot.abandoned()) {
                LOG.warn("abandoned job from message {} ended: {}", message.messageId(), e.toString());
            } else {
                LOG.error("job from message {} failed; it will be retried: {}", message.messageId(), e.toString(), e);
            }
        } finally {
            visibility.untrack(message);
            if (slot.end()) {
                freeSlot();
            }
        }
    }

    private void freeSlot() {
        inFlight.decrementAndGet();
        freeThreads.release();
    }

    /** Jobs being processed right now. */
    public int inFlight() {
        return inFlight.get();
    }

    public boolean isRunning() {
        return running;
    }

    @PreDestroy
    void drain() throws InterruptedException {
        running = false;
        LOG.info("draining: no new requests, waiting for {} job(s) in flight", inFlight.get());
        if (receiver != null) {
            // A long poll in progress cannot be interrupted; anything it still receives is released at once.
            receiver.join(2_000);
        }
        workers.shutdown();
        if (!workers.awaitTermination(60, TimeUnit.SECONDS)) {
            LOG.warn("{} job(s) still running after 60 s; they will be redelivered", inFlight.get());
        }
        LOG.info("drained");
    }
}
