package io.github.elasticimage.classifier.job;

/**
 * One running job's claim on a job slot: given back once, either when the job ends or when it is abandoned for running
 * past {@code MAX_JOB_TIME} ({@link VisibilityExtender}), whichever comes first. Abandoning interrupts the job's thread,
 * and only while the job still runs, so the interrupt never reaches the next job on that thread.
 */
final class JobSlot {

    private final Thread thread;
    private boolean ended;
    private boolean abandoned;

    /** A slot held by the job running on the calling thread. */
    JobSlot() {
        this.thread = Thread.currentThread();
    }

    /** Interrupts the job if it still runs; true when it did (the caller then frees the slot). */
    synchronized boolean abandon() {
        if (ended) {
            return false;
        }
        ended = true;
        abandoned = true;
        thread.interrupt();
        return true;
    }

    /**
     * Called on the job's thread when the job ends: true when the slot is still the job's to free (it was not
     * abandoned). Clears an abandonment's interrupt so the thread can take the next job.
     */
    synchronized boolean end() {
        if (abandoned) {
            Thread.interrupted();
        }
        boolean held = !ended;
        ended = true;
        return held;
    }

    synchronized boolean abandoned() {
        return abandoned;
    }
}
