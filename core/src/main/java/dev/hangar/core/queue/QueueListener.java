package dev.hangar.core.queue;

import dev.hangar.core.job.Job;

/**
 * Told of changes as a backend sees them, so that agents wake on new work and log readers on new
 * output instead of polling. Called on the writer's thread: return quickly.
 */
public interface QueueListener {
    default void jobChanged(Job job) {}

    default void logAppended(String jobId) {}
}
