package dev.hangar.core.select;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.runtime.RuntimeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Chooses a job's runtime: every rule must pass, then the job's latency budget narrows the choice,
 * then {@link Ranking} orders what is left. A pin narrows the choice to one runtime, still checked
 * against every rule. The {@link Selection} keeps the decision, the figure that decided it and
 * every runtime ruled out with the rule it broke.
 */
public final class RuntimeSelector {
    static final String PINNED = "pinned";
    static final String RANKING = "ranking";

    private final List<SelectionRule> rules;

    public RuntimeSelector(List<SelectionRule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static RuntimeSelector standard() {
        return new RuntimeSelector(Rules.all());
    }

    /**
     * The rules, but a runtime benched for a while after its sandboxes failed counts as available:
     * for the question whether a job may wait for it (a submit), not where it runs now.
     */
    public static RuntimeSelector benchedWaited() {
        return new RuntimeSelector(Rules.all().stream()
                .map(rule -> rule instanceof Rules.Available ? Rules.Available.orBenched() : rule).toList());
    }

    /** As below, on a node that has no warm sandbox ready for the job. */
    public Selection select(JobSpec job, List<RuntimeStatus> runtimes, NodePolicy node) {
        return select(job, runtimes, node, WarmPools.none());
    }

    public Selection select(JobSpec job, List<RuntimeStatus> runtimes, NodePolicy node, WarmPools pools) {
        var allowed = new ArrayList<RuntimeStatus>();
        var rejected = new ArrayList<Rejection>();
        for (RuntimeStatus runtime : runtimes) {
            if (job.runtime() != null && !job.runtime().equals(runtime.name())) {
                rejected.add(new Rejection(runtime.name(), PINNED, "the job pins runtime '" + job.runtime() + "'"));
                continue;
            }
            firstViolation(job, runtime, node).ifPresentOrElse(rejected::add, () -> allowed.add(runtime));
        }
        if (allowed.isEmpty()) {
            return new Selection(null, refusal(job, rejected), rejected, candidates(List.of(), runtimes, pools));
        }
        var budget = new LatencyBudget(job, pools);
        var ranking = new Ranking(job, pools);
        List<RuntimeStatus> ranked = new ArrayList<>(budget.filter(allowed, rejected));
        ranked.sort(ranking.order());
        RuntimeStatus chosen = ranked.get(0);
        for (RuntimeStatus other : ranked.subList(1, ranked.size())) {
            rejected.add(new Rejection(other.name(), RANKING, ranking.below(chosen, other)));
        }
        return new Selection(chosen.name(), ranking.why(ranked, ranked.size() < allowed.size()) + budget.note(allowed), rejected,
                candidates(ranked, runtimes, pools));
    }

    private Optional<Rejection> firstViolation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
        for (SelectionRule rule : rules) {
            Optional<String> violation = rule.violation(job, runtime, node);
            if (violation.isPresent()) {
                return Optional.of(new Rejection(runtime.name(), rule.name(), violation.get()));
            }
        }
        return Optional.empty();
    }

    /** Every runtime with its figures: the ranked ones in rank order, then the rest as the node lists them. */
    private static List<Candidate> candidates(List<RuntimeStatus> ranked, List<RuntimeStatus> all, WarmPools pools) {
        var order = new ArrayList<>(ranked);
        all.stream().filter(runtime -> !ranked.contains(runtime)).forEach(order::add);
        return order.stream().map(runtime -> Candidate.of(runtime, pools)).toList();
    }

    private static String refusal(JobSpec job, List<Rejection> rejected) {
        if (job.runtime() != null) {
            return rejected.stream().filter(r -> r.runtime().equals(job.runtime())).findFirst()
                    .map(r -> "refused: runtime '" + r.runtime() + "' breaks rule " + r.rule() + ": " + r.reason())
                    .orElse("refused: pinned runtime '" + job.runtime() + "' is not on this node");
        }
        if (rejected.isEmpty()) {
            return "refused: this node has no runtimes";
        }
        return "refused: no runtime on this node may run this job: "
                + rejected.stream().map(Rejection::toString).collect(Collectors.joining("; "));
    }
}
