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

    /** Creates the pool, or changes it; a pool whose sandboxes would differ is emptied and refilled. */
    PoolStatus put(PoolSpec spec);

    /** Removes the pool and destroys its ready sandboxes; empty if there is no such pool. */
    Optional<PoolStatus> remove(String name);

    /**
     * Why this view cannot create, change or remove pools, or empty if it can (a cluster's server
     * shows its nodes' pools, which each agent keeps).
     */
    default Optional<String> readOnly() {
        return Optional.empty();
    }

    record Budget(long memoryMb, long heldMb) {}
}
