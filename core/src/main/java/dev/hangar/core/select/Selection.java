package dev.hangar.core.select;

import java.util.List;

/**
 * The runtime chosen for a job and why, or a refusal. Stored on the job so that
 * {@code hangar explain} and the job record can say it.
 *
 * @param runtime  the chosen runtime, or null when the job is refused
 * @param reason   one sentence a person can read
 * @param rejected every runtime ruled out, with the rule it broke
 */
public record Selection(String runtime, String reason, List<Rejection> rejected) {
    public Selection {
        rejected = rejected == null ? List.of() : List.copyOf(rejected);
    }

    public boolean refused() {
        return runtime == null;
    }
}
