package dev.hangar.core.queue;

import dev.hangar.core.job.Job;

/**
 * Told of changes as a backend sees them, so that agents wake on new work and log readers on new
 * output instead of polling. Told after the change committed, in the order the changes were
 * committed (so a job's changes arrive in the order of its states), on the thread of a writer in
 * a backend that lives in one process, or on the backend's own reader a moment after the write
 * returned in one that many processes share (it hears their writes too): return quickly, as every
 * listener waits for the one before it. A listener may write to the queue; it hears of that write
 * after it has returned.
 */
public interface QueueListener {
    default void jobChanged(Job job) {}

    default void logAppended(String jobId) {}

    /**
     * Changes may have gone untold: the backend's reader fell behind a capped change log, could not
     * read a change, or found its store restarted (which may have lost its last writes). A listener
     * that keeps its own view of jobs reads them afresh; one that waits for a change looks again.
     * {@code why} may be told to any client (the server's {@code reset} events): it names no address or error.
     */
    default void changesMissed(String why) {}
}
