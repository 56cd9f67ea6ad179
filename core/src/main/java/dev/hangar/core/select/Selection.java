package dev.hangar.core.select;

import java.util.List;

/**
 * The runtime chosen for a job and why, or a refusal. Stored on the job so that
 * {@code hangar explain} and the job record can say it.
 *
 * @param runtime    the chosen runtime, or null when the job is refused
 * @param reason     one sentence a person can read, naming the figure that decided
 * @param rejected   every runtime ruled out, with the rule it broke ({@code ranking}: allowed, but not first)
 * @param candidates every runtime considered, with the figures read: the allowed ones first, in rank order
 */
public record Selection(String runtime, String reason, List<Rejection> rejected, List<Candidate> candidates) {
    public Selection {
        rejected = rejected == null ? List.of() : List.copyOf(rejected);
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
    }

    public Selection(String runtime, String reason, List<Rejection> rejected) {
        this(runtime, reason, rejected, List.of());
    }

    public boolean refused() {
        return runtime == null;
    }
}
