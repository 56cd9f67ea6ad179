package dev.hangar.agent;

import dev.hangar.core.queue.Lease;
import java.util.concurrent.CompletableFuture;

/** A job this agent holds, and the switch that stops it early. */
final class RunningJob {
    private final Lease lease;
    private final CompletableFuture<StopReason> stop = new CompletableFuture<>();

    RunningJob(Lease lease) {
        this.lease = lease;
    }

    Lease lease() {
        return lease;
    }

    /** Asks the job to stop; the first reason wins. */
    void stop(StopReason reason) {
        stop.complete(reason);
    }

    CompletableFuture<StopReason> stopRequested() {
        return stop;
    }
}
