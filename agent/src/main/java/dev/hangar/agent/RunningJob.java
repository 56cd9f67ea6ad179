package dev.hangar.agent;

import dev.hangar.core.queue.Lease;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A job this agent holds, the GPUs it was given, and the switch that stops it early. */
final class RunningJob {
    private final Lease lease;
    private final List<String> gpus;
    private final CompletableFuture<StopReason> stop = new CompletableFuture<>();

    RunningJob(Lease lease, List<String> gpus) {
        this.lease = lease;
        this.gpus = List.copyOf(gpus);
    }

    /** The node's GPU device indices this job was given. */
    List<String> gpus() {
        return gpus;
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
