package dev.hangar.core.select;

import dev.hangar.core.runtime.RuntimeStatus;

/**
 * The figures the selector read of one runtime, so that a decision can be shown beside them.
 *
 * @param isolation       the runtime's isolation, e.g. {@code software-kernel}
 * @param measuredStartMs the cold start its probe measured, or null when it did not run
 * @param warmReady       READY warm sandboxes for this job's spec
 */
public record Candidate(String runtime, String isolation, Long measuredStartMs, int warmReady) {
    static Candidate of(RuntimeStatus runtime, WarmPools pools) {
        var start = runtime.probe().measuredStart();
        return new Candidate(runtime.name(), Ranking.isolationName(runtime.capabilities().isolation()),
                start == null ? null : start.toMillis(), pools.ready(runtime.name()));
    }
}
