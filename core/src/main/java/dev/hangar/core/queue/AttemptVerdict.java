package dev.hangar.core.queue;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.RetryPolicy;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What becomes of a job when a delivery ends: a final state, or QUEUED again (after a backoff for a
 * retry). Pure but for a retry's drawn backoff, so every queue backend applies the same rules.
 *
 * @param notBefore when a requeued job is due again; null if at once or final
 * @param error     the error to record
 */
public record AttemptVerdict(JobState state, Instant notBefore, String error) {
    private static final String GAVE_UP = "gave up after ";
    private static final String LAST_TIMED_OUT = "; last: timed out";
    private static final String LOST_CANCELLED = "cancelled; its worker was lost";
    private static final String LOST_DEAD = "worker lost; ";
    private static final String GAVE_BACK_CANCELLED = "cancelled; its worker gave it back: ";
    private static final String GIVEN_BACK_DEAD = "given back or lost ";

    /** The worker reported how the attempt ended; a retry's backoff is drawn at random (see RetryPolicy). */
    public static AttemptVerdict afterOutcome(Job job, Outcome outcome, Instant now) {
        return afterOutcome(job, outcome, now, ThreadLocalRandom.current().nextDouble());
    }

    /** As {@link #afterOutcome(Job, Outcome, Instant)}, with the backoff's draw given. */
    static AttemptVerdict afterOutcome(Job job, Outcome outcome, Instant now, double draw) {
        boolean failure = outcome.state() == JobState.FAILED || outcome.state() == JobState.TIMED_OUT;
        // a job someone asked to cancel is never tried again
        if (!failure || !outcome.retryable() || job.cancelRequested()) {
            return new AttemptVerdict(outcome.state(), null, outcome.error());
        }
        RetryPolicy retry = job.spec().retry();
        if (job.attempt() < retry.maxAttempts()) {
            return new AttemptVerdict(JobState.QUEUED, now.plus(retry.backoffAfter(job.attempt(), draw)), outcome.error());
        }
        if (retry.maxAttempts() > 1) {
            // retries were asked for and all are spent: dead-letter it, saying why
            return new AttemptVerdict(JobState.DEAD, null,
                    GAVE_UP + job.attempt() + " attempts; last: " + describe(outcome));
        }
        return new AttemptVerdict(outcome.state(), null, outcome.error());
    }

    /**
     * Whether a DEAD job gave up after its last attempt timed out, as its error says (a timed-out attempt has no exit
     * code to keep): a caller waiting for it ends as for a timeout.
     */
    public static boolean gaveUpTimingOut(Job job) {
        return job.state() == JobState.DEAD && job.exitCode() == null && job.error() != null
                && job.error().startsWith(GAVE_UP) && job.error().contains(LAST_TIMED_OUT);
    }

    /**
     * Whether a final job ended with a delivery lost or given back, as its error says: no run ended then, and the
     * time since its process started is no run's.
     */
    public static boolean endedUndelivered(Job job) {
        String error = job.error();
        return job.isFinal() && error != null && (error.startsWith(LOST_CANCELLED) || error.startsWith(LOST_DEAD)
                || error.startsWith(GAVE_BACK_CANCELLED) || error.startsWith(GIVEN_BACK_DEAD));
    }

    /**
     * The worker vanished (its lease expired, or it said it runs nothing). That is not the job's
     * fault, so it does not use up an attempt; only {@link QueueBackend#MAX_DELIVERIES} such
     * deliveries limit it. {@code stops}: the job's deliveries handed back at a worker's stop
     * ({@link #afterStop}), which count toward none.
     */
    public static AttemptVerdict afterLostLease(Job job, int stops) {
        if (job.cancelRequested()) {
            return new AttemptVerdict(JobState.CANCELLED, null, LOST_CANCELLED);
        }
        if (undelivered(job, stops) >= QueueBackend.MAX_DELIVERIES) {
            return new AttemptVerdict(JobState.DEAD, null, LOST_DEAD + undelivered(job, stops)
                    + " deliveries lost or given back");
        }
        return new AttemptVerdict(JobState.QUEUED, null, null);
    }

    /**
     * The worker stopped as asked (SIGTERM, Ctrl-C) and handed the job back: QUEUED again, as for a
     * lost lease, but never DEAD, as a node's stop (a restart, an upgrade) is no sign of a job that
     * takes nodes down; the backend counts the delivery among the job's stops.
     */
    public static AttemptVerdict afterStop(Job job) {
        return job.cancelRequested() ? new AttemptVerdict(JobState.CANCELLED, null, GAVE_BACK_CANCELLED + "its node stopped")
                : new AttemptVerdict(JobState.QUEUED, null, null);
    }

    /**
     * The worker gave the job back, for a reason that is not the job's (see JobQueue#giveBack): as a
     * lost lease, with that reason given should the job end here.
     */
    public static AttemptVerdict afterGiveBack(Job job, String reason, int stops) {
        if (job.cancelRequested()) {
            return new AttemptVerdict(JobState.CANCELLED, null, GAVE_BACK_CANCELLED + reason);
        }
        if (undelivered(job, stops) >= QueueBackend.MAX_DELIVERIES) {
            return new AttemptVerdict(JobState.DEAD, null, GIVEN_BACK_DEAD + undelivered(job, stops)
                    + " times; last: " + reason);
        }
        return new AttemptVerdict(JobState.QUEUED, null, null);
    }

    /**
     * The error of a queued job cancelled while it waited to be tried again: what its last attempt ended with, said to
     * be that (its exit code and error are the cancel's now, not the attempt's); null for a job no attempt ended.
     * The Redis backend's {@code cancel.lua} says it in the same words.
     */
    public static String cancelledWhileQueued(Job job) {
        if (job.error() == null && job.exitCode() == null) {
            return null;
        }
        return "cancelled on request while waiting to retry; attempt " + job.attempt() + ": "
                + (job.error() != null ? job.error() : "exit code " + job.exitCode());
    }

    /**
     * The deliveries of a held job that ended without an attempt (lost or given back), this one
     * among them, but those handed back at a worker's stop: every other delivery was an attempt,
     * and this one counts as one while it is held.
     */
    private static int undelivered(Job job, int stops) {
        return job.deliveries() - job.attempt() + 1 - stops;
    }

    private static String describe(Outcome outcome) {
        if (outcome.error() != null && !outcome.error().isBlank()) {
            return outcome.error();
        }
        if (outcome.exitCode() != null) {
            return "exit code " + outcome.exitCode();
        }
        return outcome.state() == JobState.TIMED_OUT ? "timed out" : "failed";
    }
}
