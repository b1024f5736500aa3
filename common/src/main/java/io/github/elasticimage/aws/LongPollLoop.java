package io.github.elasticimage.aws;

import org.slf4j.Logger;

import java.util.function.BooleanSupplier;

/**
 * The receive loop both tiers run on an SQS queue: one round (a long poll and the hand-off of what it received) after
 * another while {@code running}; after a failed round it waits 100 ms, doubling up to 5 s, and a good round resets the
 * wait. It ends when {@code running} turns false or its thread is interrupted.
 *
 * @param queueName what the failure lines name
 * @param running   read before every round and after a failure
 * @param log       the caller's logger, so the lines keep its name
 * @param round     one long poll and its hand-off
 */
public record LongPollLoop(String queueName, BooleanSupplier running, Logger log, Round round) implements Runnable {

    static final long FIRST_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 5_000;

    /** One long poll and the hand-off of what it received. */
    @FunctionalInterface
    public interface Round {
        void run() throws InterruptedException;
    }

    @Override
    public void run() {
        long backoffMs = FIRST_BACKOFF_MS;
        while (running.getAsBoolean()) {
            try {
                round.run();
                backoffMs = FIRST_BACKOFF_MS;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!running.getAsBoolean()) {
                    return;
                }
                log.warn("receiving from {} failed, retrying in {} ms: {}", queueName, backoffMs, e.toString());
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
            }
        }
    }
}
