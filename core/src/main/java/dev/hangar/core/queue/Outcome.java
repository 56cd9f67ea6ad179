package dev.hangar.core.queue;

import dev.hangar.core.job.JobState;

/**
 * How an attempt ended, as the worker saw it. The queue decides what follows: a final state, or
 * (for a retryable failure with attempts left) back to QUEUED after a backoff.
 */
public record Outcome(JobState state, Integer exitCode, String error, boolean outputTruncated, boolean retryable) {
    public Outcome {
        if (!state.isFinal() || state == JobState.DEAD) {
            throw new IllegalArgumentException("an attempt ends SUCCEEDED, FAILED, TIMED_OUT or CANCELLED, not " + state);
        }
    }

    public static Outcome succeeded(int exitCode, boolean truncated) {
        return new Outcome(JobState.SUCCEEDED, exitCode, null, truncated, false);
    }

    public static Outcome failed(Integer exitCode, String error, boolean truncated) {
        return new Outcome(JobState.FAILED, exitCode, error, truncated, true);
    }

    /** A failure that another attempt cannot mend, e.g. no runtime may run the job. */
    public static Outcome refused(String error) {
        return new Outcome(JobState.FAILED, null, error, false, false);
    }

    public static Outcome timedOut(String error, boolean truncated) {
        return new Outcome(JobState.TIMED_OUT, null, error, truncated, true);
    }

    public static Outcome cancelled(String error) {
        return cancelled(error, false);
    }

    /** A run cancelled once its output had passed its limit ({@code truncated}) keeps saying so. */
    public static Outcome cancelled(String error, boolean truncated) {
        return new Outcome(JobState.CANCELLED, null, error, truncated, false);
    }
}
