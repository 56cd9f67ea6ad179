package dev.hangar.core.select;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.runtime.RuntimeStatus;
import java.util.Optional;

/** One rule a runtime must pass to run a job. Returns why not, or empty when it passes. */
public interface SelectionRule {
    String name();

    Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node);
}
