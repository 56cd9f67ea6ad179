package dev.hangar.agent.pool;

/** The memory the warm sandboxes of every pool may hold together; a sandbox is charged from start to take. */
final class MemoryBudget {
    private final long totalMb;
    private long heldMb;

    MemoryBudget(long totalMb) {
        this.totalMb = totalMb;
    }

    /** Charges {@code mb} if it fits, and says whether it did. */
    synchronized boolean tryHold(long mb) {
        if (heldMb + mb > totalMb) {
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

    long totalMb() {
        return totalMb;
    }
}
