package dev.hangar.agent;

import dev.hangar.core.queue.Lease;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A job this agent holds, the GPUs it was given, the switch that stops it early, and until when
 * its lease is surely held: the time of the last call that took or renewed it, plus the lease time.
 */
final class RunningJob {
    private final Lease lease;
    private final List<String> gpus;
    private final CompletableFuture<StopReason> stop = new CompletableFuture<>();
    private volatile long heldUntilNanos;
    /** The queue said the lease is lost: no renewal answered before or after that holds it again. */
    private boolean lost;
    private final AtomicBoolean renewing = new AtomicBoolean();
    private volatile CompletableFuture<?> leftBehind = CompletableFuture.completedFuture(null);

    /** {@code heldUntilNanos}: on the {@link System#nanoTime()} clock. */
    RunningJob(Lease lease, List<String> gpus, long heldUntilNanos) {
        this.lease = lease;
        this.gpus = List.copyOf(gpus);
        this.heldUntilNanos = heldUntilNanos;
    }

    /**
     * Work of this job's that goes on after its attempt ended: a sandbox still being made when the
     * job stopped waiting for it, destroyed once made. Its share of the node stays reserved until then.
     */
    void leaveBehind(CompletableFuture<?> work) {
        leftBehind = work;
    }

    CompletableFuture<?> leftBehind() {
        return leftBehind;
    }

    /** Whether a renewal of this lease may begin now: false while the last one is under way. */
    boolean renewalBegins() {
        return renewing.compareAndSet(false, true);
    }

    void renewalEnded() {
        renewing.set(false);
    }

    /** A renewal sent at some time held the lease until then plus the lease time, unless it was lost since. */
    synchronized void heldUntil(long nanos) {
        if (!lost && nanos - heldUntilNanos > 0) {
            heldUntilNanos = nanos;
        }
    }

    /** How long the lease has left at {@code nowNanos}, as far as this node knows (negative once it lapsed). */
    long leftNanos(long nowNanos) {
        return heldUntilNanos - nowNanos;
    }

    /** The node's GPU device indices this job was given. */
    List<String> gpus() {
        return gpus;
    }

    Lease lease() {
        return lease;
    }

    /**
     * The queue says the lease is lost (another node has the job, or it is gone): the job stops, and
     * its lease counts as over now, whatever this node's last renewal let it expect.
     */
    void leaseLost() {
        synchronized (this) {
            lost = true;
            heldUntilNanos = System.nanoTime();
        }
        stop(StopReason.LEASE_LOST);
    }

    /** Asks the job to stop; the first reason wins. */
    void stop(StopReason reason) {
        stop.complete(reason);
    }

    CompletableFuture<StopReason> stopRequested() {
        return stop;
    }
}
