package dev.hangar.core.select;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.RuntimeStatus;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The order of the runtimes that pass every rule, criterion by criterion: for untrusted code the
 * strongest isolation (a microVM where one works, else gVisor); then a warm sandbox ready; then the
 * fastest measured start; then the lightest isolation; then the name, so that the order is stable.
 */
final class Ranking {
    private final JobSpec job;
    private final WarmPools pools;

    Ranking(JobSpec job, WarmPools pools) {
        this.job = job;
        this.pools = pools;
    }

    /** One step of the order; the first step that tells two runtimes apart decides between them. */
    enum Criterion {
        STRONGEST_FOR_UNTRUSTED, WARM_FIRST, FASTEST_START, LIGHTEST, NAME
    }

    Comparator<RuntimeStatus> order() {
        return (a, b) -> {
            for (Criterion criterion : Criterion.values()) {
                int order = compare(criterion, a, b);
                if (order != 0) {
                    return order;
                }
            }
            return 0;
        };
    }

    private int compare(Criterion criterion, RuntimeStatus a, RuntimeStatus b) {
        return switch (criterion) {
            case STRONGEST_FOR_UNTRUSTED -> job.profile().untrusted() ? isolation(b).compareTo(isolation(a)) : 0;
            case WARM_FIRST -> Boolean.compare(warm(b), warm(a));
            case FASTEST_START -> start(a).compareTo(start(b));
            case LIGHTEST -> isolation(a).compareTo(isolation(b));
            case NAME -> a.name().compareTo(b.name());
        };
    }

    /** The criterion that put {@code first} ahead of {@code second}. */
    Criterion decider(RuntimeStatus first, RuntimeStatus second) {
        for (Criterion criterion : Criterion.values()) {
            if (compare(criterion, first, second) != 0) {
                return criterion;
            }
        }
        return Criterion.NAME;
    }

    /**
     * Why the first of {@code ranked} won, naming the figure that decided, then its own figures.
     * {@code budgetRuledOut}: whether the job's latency budget ruled out runtimes the rules allowed.
     */
    String why(List<RuntimeStatus> ranked, boolean budgetRuledOut) {
        RuntimeStatus chosen = ranked.get(0);
        var why = new StringBuilder(chosen.name()).append(": ");
        if (job.runtime() != null) {
            why.append("pinned by the submitter and passes every rule");
        } else {
            if (job.profile().untrusted()) {
                why.append("strongest isolation allowed for untrusted code (").append(isolationName(isolation(chosen)))
                        .append(")");
            }
            String only = budgetRuledOut ? "the only runtime allowed that meets the latency budget"
                    : "the only runtime that passes every rule";
            String decided = ranked.size() == 1 ? only
                    : winsBecause(decider(chosen, ranked.get(1)), chosen, ranked.get(1));
            if (!decided.isEmpty()) {
                why.append(job.profile().untrusted() ? ", " : "").append(decided);
            }
        }
        return why.append(figures(chosen)).toString();
    }

    private String winsBecause(Criterion criterion, RuntimeStatus chosen, RuntimeStatus next) {
        return switch (criterion) {
            case STRONGEST_FOR_UNTRUSTED -> "";
            case WARM_FIRST -> "the only one with a warm sandbox ready (" + next.name() + " would boot cold)";
            case FASTEST_START -> "fastest measured start (next: " + next.name() + " " + millis(next) + ")";
            case LIGHTEST -> "lightest isolation of the runtimes that start as fast";
            case NAME -> "first by name of runtimes with the same figures";
        };
    }

    /** Why {@code runtime}, allowed too, lost to {@code chosen}. */
    String below(RuntimeStatus chosen, RuntimeStatus runtime) {
        String why = switch (decider(chosen, runtime)) {
            case STRONGEST_FOR_UNTRUSTED -> "weaker isolation (" + isolationName(isolation(runtime)) + ") for untrusted code";
            case WARM_FIRST -> "no warm sandbox ready; " + chosen.name() + " has one";
            case FASTEST_START -> "slower measured start (" + millis(runtime) + " vs " + millis(chosen) + ")";
            case LIGHTEST -> "heavier isolation (" + isolationName(isolation(runtime)) + ") at the same start";
            case NAME -> "same figures; " + chosen.name() + " comes first by name";
        };
        return "allowed, but ranked below " + chosen.name() + ": " + why;
    }

    private String figures(RuntimeStatus runtime) {
        String figures = "; measured start " + millis(runtime);
        int ready = pools.ready(runtime.name());
        return ready > 0 ? figures + "; warm sandbox ready (" + ready + ")" : figures;
    }

    private boolean warm(RuntimeStatus runtime) {
        return pools.ready(runtime.name()) > 0;
    }

    private static Isolation isolation(RuntimeStatus runtime) {
        return runtime.capabilities().isolation();
    }

    /** An unmeasured start ranks last: a runtime whose trial did not finish is not known to be fast. */
    static Duration start(RuntimeStatus runtime) {
        Duration start = runtime.probe().measuredStart();
        return start == null ? Duration.ofDays(365) : start;
    }

    static String millis(RuntimeStatus runtime) {
        Duration start = runtime.probe().measuredStart();
        return start == null ? "unmeasured" : start.toMillis() + " ms";
    }

    static String isolationName(Isolation isolation) {
        return isolation.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
