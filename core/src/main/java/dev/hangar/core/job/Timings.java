package dev.hangar.core.job;

import java.time.Duration;
import java.time.Instant;

/**
 * When a job reached each step of its current (or last) attempt: submitted, leased by an agent,
 * sandbox being made, sandbox ready, process started, finished; and how its sandbox was had.
 *
 * @param sandboxReadyAt   when the sandbox the job runs in became ready; for a warm one, before the
 *                         job was leased (possibly before it was submitted)
 * @param path             cold, warm or restored
 * @param sandboxId        the sandbox the attempt ran in
 * @param sandboxCreatedAt when that sandbox was created: what proves a pooled sandbox predates its job
 */
public record Timings(Instant submittedAt, Instant scheduledAt, Instant startingAt, Instant sandboxReadyAt,
        Instant runningAt, Instant finishedAt, StartPath path, String sandboxId, Instant sandboxCreatedAt) {

    /** The steps only, for stores and tests that know nothing of sandboxes. */
    public Timings(Instant submittedAt, Instant scheduledAt, Instant startingAt, Instant runningAt, Instant finishedAt) {
        this(submittedAt, scheduledAt, startingAt, null, runningAt, finishedAt, null, null, null);
    }

    public static Timings submitted(Instant at) {
        return new Timings(at, null, null, null, null);
    }

    /** From submit to the current delivery's lease, if it was leased: for a retry, the earlier attempts' time too. */
    public Duration queued() {
        return between(submittedAt, scheduledAt);
    }

    /** From lease to process start: runtime choice plus sandbox start (or take). */
    public Duration start() {
        return between(scheduledAt, runningAt);
    }

    /** From sandbox ready to process start; for a warm sandbox this includes its wait in the pool. */
    public Duration sandboxReadyToRunning() {
        return between(sandboxReadyAt, runningAt);
    }

    public Duration submitToRunning() {
        return between(submittedAt, runningAt);
    }

    public Duration run() {
        return between(runningAt, finishedAt);
    }

    private static Duration between(Instant from, Instant to) {
        return from == null || to == null ? null : Duration.between(from, to);
    }
}
