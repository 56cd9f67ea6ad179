package dev.hangar.agent.pool;

import java.util.function.LongSupplier;

/**
 * The memory the warm sandboxes of every pool may hold together; a sandbox is charged from start to
 * take. They hold it only while jobs leave it free: the pools never hold more than the node's
 * memory that jobs have not reserved, and give it back when jobs need it (see {@link PoolManager#yieldToJobs}).
 */
final class MemoryBudget {
    private final long totalMb;
    /** The node's memory jobs have not reserved, now. */
    private final LongSupplier leftByJobsMb;
    private long heldMb;

    MemoryBudget(long totalMb, LongSupplier leftByJobsMb) {
        this.totalMb = totalMb;
        this.leftByJobsMb = leftByJobsMb;
    }

    /** Charges {@code mb} if it fits the budget and what jobs leave, and says whether it did. */
    synchronized boolean tryHold(long mb) {
        if (heldMb + mb > totalMb || heldMb + mb > leftByJobsMb.getAsLong()) {
            return false;
        }
        heldMb += mb;
        return true;
    }

    synchronized void release(long mb) {
        heldMb -= mb;
    }

    synchronized long heldMb() {
        return heldMb;
    }

    /** How much more the pools hold than jobs leave them (0 when within it). */
    synchronized long overMb() {
        return Math.max(0, heldMb - leftByJobsMb.getAsLong());
    }

    /** Why a sandbox of {@code mb} may not be made now. */
    synchronized String limit(long mb) {
        long left = leftByJobsMb.getAsLong();
        if (heldMb + mb > left && heldMb + mb <= totalMb) {
            return "the node's memory that jobs leave: " + left + " MB, of which the pools hold " + heldMb
                    + " MB; a sandbox of this pool needs " + mb + " MB";
        }
        return "the node's pool memory budget: " + heldMb + " of " + totalMb + " MB held, a sandbox of this pool needs "
                + mb + " MB";
    }

    long totalMb() {
        return totalMb;
    }
}
