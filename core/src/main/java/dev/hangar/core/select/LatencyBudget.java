package dev.hangar.core.select;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.runtime.RuntimeStatus;
import java.util.List;

/**
 * The job's {@code profile.latencyBudgetMs}: a runtime whose expected start exceeds it is ruled out.
 * A runtime with a warm sandbox ready is expected within any budget (the job skips the boot); else
 * the expected start is the cold start its probe measured. When no runtime meets the budget, none is
 * ruled out by it: the job still runs on the fastest, as a pool that ran dry degrades to cold-start
 * speed rather than failing jobs, and the decision says that the budget was missed.
 */
final class LatencyBudget {
    static final String RULE = "latency-budget";

    private final JobSpec job;
    private final WarmPools pools;

    LatencyBudget(JobSpec job, WarmPools pools) {
        this.job = job;
        this.pools = pools;
    }

    /** The runtimes that meet the budget, the others added to {@code rejected}; all when none meets it. */
    List<RuntimeStatus> filter(List<RuntimeStatus> allowed, List<Rejection> rejected) {
        var meeting = allowed.stream().filter(this::meets).toList();
        if (meeting.isEmpty()) {
            return allowed;
        }
        for (RuntimeStatus runtime : allowed) {
            if (!meets(runtime)) {
                rejected.add(new Rejection(runtime.name(), RULE, "measured start " + Ranking.millis(runtime)
                        + " with no warm sandbox ready exceeds the latency budget of " + budget() + " ms"));
            }
        }
        return meeting;
    }

    /** What the decision adds about the budget: met, missed by every runtime, or nothing when there is none. */
    String note(List<RuntimeStatus> allowed) {
        if (budget() == null) {
            return "";
        }
        return allowed.stream().anyMatch(this::meets) ? "; within the latency budget of " + budget() + " ms"
                : "; no runtime meets the latency budget of " + budget() + " ms, so the fastest start is taken";
    }

    private boolean meets(RuntimeStatus runtime) {
        if (budget() == null || pools.ready(runtime.name()) > 0) {
            return true;
        }
        return runtime.probe().measuredStart() != null && runtime.probe().measuredStart().toMillis() <= budget();
    }

    private Integer budget() {
        return job.profile().latencyBudgetMs();
    }
}
