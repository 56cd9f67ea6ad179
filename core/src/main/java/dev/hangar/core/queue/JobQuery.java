package dev.hangar.core.queue;

import dev.hangar.core.job.JobState;
import java.util.Set;

/**
 * A page of jobs, newest first.
 *
 * @param states  only jobs in these states; empty for all
 * @param cursor  {@link JobPage#nextCursor()} of the previous page, or null for the first
 * @param tenant  only this tenant's jobs; null for every job
 * @param node    only jobs whose current attempt this node holds, runs or ran; null for every job
 */
public record JobQuery(Set<JobState> states, String cursor, int limit, String tenant, String node) {
    public static final int MAX_LIMIT = 500;
    /**
     * How much stored spec text (in bytes) a page gathers before it ends, whatever its limit: a
     * job's stdin and env may reach 1 MiB each, and a page of 500 such jobs would be built whole in
     * memory. A page so cut has a {@link JobPage#nextCursor()} if more jobs follow; it always holds
     * at least one job.
     */
    public static final int PAGE_SPEC_BYTES = 4 * 1024 * 1024;

    public JobQuery(Set<JobState> states, String cursor, int limit) {
        this(states, cursor, limit, null);
    }

    public JobQuery(Set<JobState> states, String cursor, int limit, String tenant) {
        this(states, cursor, limit, tenant, null);
    }

    public JobQuery {
        states = states == null ? Set.of() : Set.copyOf(states);
    }

    /** How many jobs a page holds: the limit asked for, at most {@link #MAX_LIMIT}. */
    public int pageSize() {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        return Math.min(limit, MAX_LIMIT);
    }

    public static JobQuery all(int limit) {
        return new JobQuery(Set.of(), null, limit);
    }
}
