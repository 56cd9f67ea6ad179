package dev.hangar.core.queue;

import dev.hangar.core.job.Job;

/** The job a submit led to; {@code created} is false when an idempotency key matched an earlier job. */
public record Enqueued(Job job, boolean created) {}
