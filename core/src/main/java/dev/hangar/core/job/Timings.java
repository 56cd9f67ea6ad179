package dev.hangar.core.job;

import java.time.Duration;
import java.time.Instant;

/**
 * When a job reached each step of its current (or last) attempt: submitted, leased by an agent,
 * sandbox being made, process started, finished.
 */
public record Timings(Instant submittedAt, Instant scheduledAt, Instant startingAt, Instant runningAt, Instant finishedAt) {

    public static Timings submitted(Instant at) {
        return new Timings(at, null, null, null, null);
    }

    /** Queue wait of the current attempt, if it was leased. */
    public Duration queued() {
        return between(submittedAt, scheduledAt);
    }

    /** From lease to process start: runtime choice plus sandbox start. */
    public Duration start() {
        return between(scheduledAt, runningAt);
    }

    public Duration run() {
        return between(runningAt, finishedAt);
    }

    private static Duration between(Instant from, Instant to) {
        return from == null || to == null ? null : Duration.between(from, to);
    }
}
