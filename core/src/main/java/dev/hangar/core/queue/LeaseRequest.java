package dev.hangar.core.queue;

import dev.hangar.core.job.JobSpec;
import java.time.Duration;
import java.util.Set;

/**
 * An agent asking for work: who asks, how long it may hold the job before it must renew, what room
 * it has left, and which runtimes it has. The queue hands out only a job that fits, so a job that
 * this node cannot run stays queued for one that can.
 *
 * @param runtimes               the runtimes this worker runs jobs on; empty when it does not say
 *                               (then any runtime need is taken to fit)
 * @param kernelBoundaryRuntimes those of them that put a kernel boundary (software kernel or VM)
 *                               round a job, as untrusted code needs
 */
public record LeaseRequest(String workerId, Duration leaseFor, double freeCpus, long freeMemoryMb, int freeGpus,
        Set<String> runtimes, Set<String> kernelBoundaryRuntimes) {

    public LeaseRequest {
        runtimes = runtimes == null ? Set.of() : Set.copyOf(runtimes);
        kernelBoundaryRuntimes = kernelBoundaryRuntimes == null ? Set.of() : Set.copyOf(kernelBoundaryRuntimes);
    }

    /** A worker that does not say which runtimes it has. */
    public LeaseRequest(String workerId, Duration leaseFor, double freeCpus, long freeMemoryMb, int freeGpus) {
        this(workerId, leaseFor, freeCpus, freeMemoryMb, freeGpus, Set.of(), Set.of());
    }

    /** This request, if a backend can serve it: it names its worker and asks for a positive lease. */
    public LeaseRequest validated() {
        if (workerId == null || workerId.isBlank()) {
            throw new IllegalArgumentException("a lease request needs a workerId");
        }
        if (leaseFor == null || leaseFor.isNegative() || leaseFor.isZero()) {
            throw new IllegalArgumentException("leaseFor must be positive, got " + leaseFor);
        }
        return this;
    }

    /** Whether the job's room fits what is left. */
    public boolean hasRoomFor(JobSpec spec) {
        return spec.resources().cpus() <= freeCpus && spec.resources().memoryMb() <= freeMemoryMb
                && spec.gpusWanted() <= freeGpus;
    }

    /**
     * Whether this worker has a runtime the job may run on: the one the job pins, and for untrusted
     * code one behind a kernel boundary. The node's full selection still runs once the job is leased.
     */
    public boolean hasRuntimeFor(String pinnedRuntime, boolean untrusted) {
        if (runtimes.isEmpty()) {
            return true;
        }
        if (pinnedRuntime != null && !runtimes.contains(pinnedRuntime)) {
            return false;
        }
        if (!untrusted) {
            return true;
        }
        return pinnedRuntime == null ? !kernelBoundaryRuntimes.isEmpty() : kernelBoundaryRuntimes.contains(pinnedRuntime);
    }

    public boolean admits(JobSpec spec) {
        return hasRoomFor(spec) && hasRuntimeFor(spec.runtime(), spec.profile().untrusted());
    }
}
