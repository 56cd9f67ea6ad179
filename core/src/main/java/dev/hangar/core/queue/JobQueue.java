package dev.hangar.core.queue;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.select.Selection;
import java.util.Optional;
import java.util.Set;

/**
 * The work side of a queue backend: submit, lease, report, finish, cancel, and the upkeep that
 * hands out again jobs whose worker vanished. Specs arrive validated.
 */
public interface JobQueue {
    /** Stores a new QUEUED job, or returns the job an earlier submit with the same idempotency key made. */
    Enqueued enqueue(JobSpec spec);

    /**
     * Hands the most urgent QUEUED job that fits the request to its worker: highest priority first,
     * then oldest; a job waiting out a retry backoff is not due yet.
     */
    Optional<Lease> lease(LeaseRequest request);

    /** Extends the lease by the request's duration and says whether it is still held. */
    LeaseStatus renew(Lease lease);

    /**
     * Adds output of the leased job's current attempt while this lease is held. The output of a run
     * whose lease was lost (the job handed to another worker meanwhile) is dropped, so that it
     * cannot mix into the next run's; so is the output of a job that is final. False if dropped.
     *
     * <p>{@code chunk} numbers this lease's output from 1, in the order it is sent. A chunk whose
     * number is not above the last one stored under this lease is taken as sent again (its reply
     * lost, say in a queue restart) and is not stored again, so a caller may retry an append.
     */
    boolean appendLog(Lease lease, long chunk, OutputSink.Stream stream, byte[] data);

    /** Records the runtime chosen and moves SCHEDULED → STARTING. False if the lease is lost. */
    boolean starting(Lease lease, String node, Selection selection);

    /** Moves STARTING → RUNNING (the job's process started). False if the lease is lost. */
    boolean running(Lease lease);

    /**
     * As {@link #running(Lease)}, also recording how the sandbox was had ({@link StartRecord}) in the
     * job's timings. A backend that does not store it yet records the start alone.
     */
    default boolean running(Lease lease, StartRecord start) {
        return running(lease);
    }

    /**
     * {@link #starting} and {@link #running(Lease, StartRecord)} in one step: records the node, the
     * runtime chosen and how the sandbox was had, and moves SCHEDULED → RUNNING. Meant for a worker
     * with nothing between the two steps, e.g. an agent whose sandbox was ready before the job came
     * (warm). The job records what the two calls record, with {@code startingAt} = {@code runningAt}
     * = now; listeners may hear of SCHEDULED, then RUNNING, without STARTING in between. False if the
     * lease is lost or the job is not SCHEDULED (then nothing was recorded).
     *
     * <p>The default composes the two calls; a backend should do it in one round trip.
     *
     * @param start how the sandbox was had, or null if that is not known (as {@link #running(Lease)})
     */
    default boolean started(Lease lease, String node, Selection selection, StartRecord start) {
        if (!starting(lease, node, selection)) {
            return false;
        }
        return start == null ? running(lease) : running(lease, start);
    }

    /**
     * Ends the attempt exactly as {@link #finish} does and then leases the next job for
     * {@code next} exactly as {@link #lease} does (the same worker, asking again), in one round trip
     * where the backend can. Returns the new lease, or empty if no job fits.
     *
     * <p>The finish and the lease are independent: if the finish is refused (the lease was lost, or
     * the job may not move to that outcome), nothing is recorded for the old job, as with
     * {@link #finish}, and the next job is leased all the same: a worker whose lease was lost has
     * nothing more to do for that job, and it has room for the next. A worker that must know whether
     * its outcome was recorded calls {@link #finish} and {@link #lease} instead. A {@code next} that
     * is not valid ({@link LeaseRequest#validated}) is refused before anything is recorded.
     *
     * <p>The default composes the two calls.
     */
    default Optional<Lease> finishAndLease(Lease lease, Outcome outcome, LeaseRequest next) {
        next.validated();
        finish(lease, outcome);
        return lease(next);
    }

    /**
     * Ends the attempt. Returns the job as it now is, or empty if the lease was lost (and nothing
     * was recorded).
     */
    Optional<Job> finish(Lease lease, Outcome outcome);

    /**
     * Cancels a job: a QUEUED job ends CANCELLED at once; a leased one is flagged and its worker
     * stops it; a final job stays as it is. Empty if there is no such job.
     */
    Optional<Job> cancel(String jobId);

    /**
     * Upkeep: jobs whose lease expired go back to QUEUED (or DEAD after too many deliveries).
     * Returns how many it moved.
     */
    int requeueExpired();

    /**
     * Gives the job back: its worker could not run it for a reason that is not the job's (the sandbox
     * failed, not the job's process), so, as with a lost lease, the delivery does not use up an
     * attempt. The job goes back to QUEUED at once for any worker; it ends DEAD once
     * {@link QueueBackend#MAX_DELIVERIES} of its deliveries were lost or given back, with the reason,
     * or CANCELLED if someone asked.
     * Returns the job as it now is, or empty if the lease was lost (and nothing was changed).
     */
    Optional<Job> giveBack(Lease lease, String reason);

    /** Gives back every lease held by this worker, e.g. when an agent restarts and knows it runs nothing. */
    int releaseLeasesOf(String workerId);

    /**
     * Gives back every lease held by this worker but those with these tokens, the leases it knows it
     * runs: e.g. a lease whose reply it never got (the call failed after the queue had made the
     * lease). Each job goes back to QUEUED at once (the delivery is not an attempt), or to its end,
     * as when a lease expires. Returns how many it gave back.
     *
     * @throws UnsupportedOperationException if this backend cannot (the default)
     */
    default int releaseLeasesOf(String workerId, Set<String> keepTokens) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot give back only some of a worker's leases");
    }

    /**
     * Gives back the leases of a worker that stops as asked (SIGTERM, Ctrl-C), but those with these
     * tokens (jobs that did not stop in time, left to their leases): as {@link #releaseLeasesOf},
     * but such a delivery never makes a job DEAD, nor counts toward {@link QueueBackend#MAX_DELIVERIES}
     * later (see {@link AttemptVerdict#afterStop}): rolling restarts must not kill a long job. A job
     * asked to be cancelled ends CANCELLED. Returns how many it gave back. By default, as
     * {@link #releaseLeasesOf} gives them back, counted.
     *
     * @throws UnsupportedOperationException if this backend cannot keep some (see {@link #releaseLeasesOf(String, Set)})
     */
    default int handBackAtStop(String workerId, Set<String> keepTokens) {
        return keepTokens.isEmpty() ? releaseLeasesOf(workerId) : releaseLeasesOf(workerId, keepTokens);
    }
}
