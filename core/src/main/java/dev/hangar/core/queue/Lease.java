package dev.hangar.core.queue;

import dev.hangar.core.job.Job;

/**
 * A job held by one worker. The token fences writes: once a lease expires and the job is handed to
 * another worker, the first worker's updates are refused, so a job's result is recorded once.
 */
public record Lease(String jobId, String token, String workerId, Job job) {}
