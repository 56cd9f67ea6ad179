package dev.hangar.core.pool;

import java.util.List;
import java.util.Optional;

/**
 * A node's warm pools as the API sees them and changes them; implemented by the node's agent.
 * Invalid specs are refused with {@link dev.hangar.core.job.InvalidSpecException}.
 */
public interface PoolsView {
    List<PoolStatus> pools();

    /** The memory budget every pool of the node shares, and how much of it is held. */
    Budget budget();

    /**
     * Creates the pool, or changes it; a pool whose sandboxes would differ is emptied and refilled.
     *
     * @throws Stopping if the node is stopping, when it makes no sandboxes
     */
    Put put(PoolSpec spec);

    /**
     * Removes the pool and destroys its ready sandboxes; empty if there is no such pool.
     *
     * @throws Stopping if the node is stopping (it destroys every pool's sandboxes itself)
     */
    Optional<PoolStatus> remove(String name);

    /**
     * Why this view cannot create, change or remove pools, or empty if it can (a cluster's server
     * shows its nodes' pools, which each agent keeps).
     */
    default Optional<String> readOnly() {
        return Optional.empty();
    }

    record Budget(long memoryMb, long heldMb) {}

    /** A pool put, and whether that put created it (told at the change itself: two puts of one name race). */
    record Put(PoolStatus status, boolean created) {}

    /** The node is stopping: its pools take no change. */
    final class Stopping extends RuntimeException {
        public Stopping() {
            super("the node is stopping: its warm pools take no change");
        }
    }
}
