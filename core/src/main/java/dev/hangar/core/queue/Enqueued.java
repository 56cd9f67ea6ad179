package dev.hangar.core.queue;

import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import java.util.ArrayList;

/** The job a submit led to; {@code created} is false when an idempotency key matched an earlier job. */
public record Enqueued(Job job, boolean created) {
    /**
     * Whether the earlier job this submit's idempotency key matched was submitted with another spec
     * than {@code asked}: the same key for a different job, which a repeat of one submit never is.
     */
    public boolean conflictsWith(JobSpec asked) {
        return !created && !job.spec().equals(asked);
    }

    /**
     * A spec refused for its own faults that also {@link #conflictsWith} this job: its faults and the key's, so that a
     * submitter told of the key alone does not mend that and fail again.
     */
    public InvalidSpecException refusedWithConflict(InvalidSpecException refused) {
        var errors = new ArrayList<>(refused.errors());
        errors.add(new FieldError("idempotencyKey", conflict()));
        return new InvalidSpecException(errors);
    }

    /** Why a submit that {@link #conflictsWith} made no job, as the reason of its idempotencyKey. */
    public String conflict() {
        return "'" + job.spec().idempotencyKey() + "' is the key of job " + job.id() + ", submitted with another spec;"
                + " a repeat must send the same spec, a new job a new key";
    }
}
