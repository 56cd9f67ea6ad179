package dev.hangar.core.queue;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.select.Selection;
import java.util.Optional;

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

    /** Gives back every lease held by this worker, e.g. when an agent restarts and knows it runs nothing. */
    int releaseLeasesOf(String workerId);
}
