package dev.hangar.core.job;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.hangar.core.select.Selection;

/**
 * A job as the store knows it. Immutable: stores hand out snapshots, and only the queue moves a job
 * from one state to the next.
 *
 * @param attempt     the attempt running or last run (1-based; 0 before the first lease)
 * @param deliveries  how many times a worker leased it, including leases lost with a dead worker
 * @param node        the node that holds, runs or ran the current attempt (from its lease on; for a job that
 *                    ended without running, as when cancelled while SCHEDULED, the node that last held it)
 * @param runtime     the runtime chosen for the current attempt
 * @param selection   why that runtime, and why not the others
 */
public record Job(
        String id,
        JobSpec spec,
        JobState state,
        int attempt,
        int deliveries,
        Timings timings,
        String node,
        String runtime,
        Selection selection,
        Integer exitCode,
        String error,
        boolean outputTruncated,
        boolean cancelRequested) {

    @JsonIgnore
    public boolean isFinal() {
        return state.isFinal();
    }
}
