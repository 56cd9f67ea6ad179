package dev.hangar.core.select;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.RuntimeStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Chooses a job's runtime: every rule must pass; among the runtimes left, untrusted jobs take the
 * strongest isolation and then the fastest measured start, other jobs the fastest measured start.
 * A pin narrows the choice to one runtime, still checked against every rule.
 */
public final class RuntimeSelector {
    private final List<SelectionRule> rules;

    public RuntimeSelector(List<SelectionRule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static RuntimeSelector standard() {
        return new RuntimeSelector(Rules.all());
    }

    public Selection select(JobSpec job, List<RuntimeStatus> runtimes, NodePolicy node) {
        var allowed = new ArrayList<RuntimeStatus>();
        var rejected = new ArrayList<Rejection>();
        for (RuntimeStatus runtime : runtimes) {
            if (job.runtime() != null && !job.runtime().equals(runtime.name())) {
                rejected.add(new Rejection(runtime.name(), "pinned", "the job pins runtime '" + job.runtime() + "'"));
                continue;
            }
            firstViolation(job, runtime, node).ifPresentOrElse(rejected::add, () -> allowed.add(runtime));
        }
        if (allowed.isEmpty()) {
            return new Selection(null, refusal(job, rejected), rejected);
        }
        allowed.sort(ranking(job));
        RuntimeStatus chosen = allowed.get(0);
        for (RuntimeStatus other : allowed.subList(1, allowed.size())) {
            rejected.add(new Rejection(other.name(), "ranking", "allowed, but ranked below " + chosen.name()));
        }
        return new Selection(chosen.name(), reason(job, chosen, allowed.size()), rejected);
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

    private static Comparator<RuntimeStatus> ranking(JobSpec job) {
        Comparator<RuntimeStatus> byStart = Comparator.comparing(RuntimeSelector::measuredStart);
        Comparator<RuntimeStatus> byIsolation = Comparator.comparing(
                (RuntimeStatus r) -> r.capabilities().isolation(), Comparator.<Isolation>reverseOrder());
        Comparator<RuntimeStatus> order = job.profile().untrusted() ? byIsolation.thenComparing(byStart) : byStart;
        return order.thenComparing(RuntimeStatus::name);
    }

    private static Duration measuredStart(RuntimeStatus runtime) {
        Duration start = runtime.probe().measuredStart();
        return start == null ? Duration.ofDays(1) : start;
    }

    private static String reason(JobSpec job, RuntimeStatus chosen, int allowedCount) {
        String start = chosen.probe().measuredStart() == null ? "unmeasured start"
                : "measured start " + chosen.probe().measuredStart().toMillis() + " ms";
        if (job.runtime() != null) {
            return "pinned by the submitter and passes every rule (" + start + ")";
        }
        String why = job.profile().untrusted()
                ? "strongest isolation (" + chosen.capabilities().isolation().name().toLowerCase() + "), then fastest start"
                : "fastest start";
        return why + " of " + allowedCount + " allowed runtime(s): " + start;
    }

    private static String refusal(JobSpec job, List<Rejection> rejected) {
        if (rejected.isEmpty()) {
            return "refused: this node has no runtimes";
        }
        String reasons = rejected.stream()
                .filter(r -> job.runtime() == null || r.runtime().equals(job.runtime()))
                .map(Rejection::toString)
                .collect(Collectors.joining("; "));
        if (job.runtime() != null && reasons.isEmpty()) {
            return "refused: pinned runtime '" + job.runtime() + "' is not on this node";
        }
        return job.runtime() != null
                ? "refused: pinned runtime breaks a rule: " + reasons
                : "refused: no runtime on this node may run this job: " + reasons;
    }
}
