package dev.hangar.core.queue;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.job.JobSpec;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** One storage technology behind both sides of the queue. */
public interface QueueBackend extends JobQueue, JobStore, AutoCloseable {
    /** How many deliveries lost or given back (see AttemptVerdict) a job gets before it is DEAD. */
    int MAX_DELIVERIES = 5;

    String name();

    /**
     * Returns when the backend can serve calls, throwing the {@link QueueException} a call would
     * throw otherwise, at the cost of one cheap call to its store: readiness probes call it every
     * few seconds. A store that answers reads while it refuses writes (a full disk, a Redis at its
     * memory limit) is not ready.
     */
    void ping();

    /**
     * The node registry that shares this backend's store, for a backend that many processes share
     * (a cluster); empty for one that lives in one process.
     */
    default Optional<NodeRegistry> nodeRegistry() {
        return Optional.empty();
    }

    /**
     * Periodic duties beyond lease expiry, for a backend that has them: taking in submissions that
     * producers wrote straight into the store (each spec passed through {@code validate}, which
     * returns it as it is to be queued or throws {@link dev.hangar.core.job.InvalidSpecException}
     * naming the fields; the bad ones are dead-lettered), and dropping records whose retention ran
     * out. Returns how many items it handled.
     */
    default int housekeeping(UnaryOperator<JobSpec> validate) {
        return 0;
    }

    /**
     * How many submissions written straight into the store (see {@link #housekeeping}) this process has
     * set aside as dead letters since it opened the backend, as no valid job: a producer writing bad
     * entries is seen by its rate. 0 for a backend that takes no such submissions.
     */
    default long submitEntriesSetAside() {
        return 0;
    }

    @Override
    void close();
}
