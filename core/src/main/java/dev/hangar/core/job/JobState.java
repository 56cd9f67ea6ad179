package dev.hangar.core.job;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a job. The allowed moves live here and nowhere else, so every store applies the same
 * rules.
 */
public enum JobState {
    QUEUED, SCHEDULED, STARTING, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, DEAD;

    public boolean isFinal() {
        return switch (this) {
            case SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, DEAD -> true;
            case QUEUED, SCHEDULED, STARTING, RUNNING -> false;
        };
    }

    /**
     * States a job may move to from this one. A retry and a redelivery go back to QUEUED. A warm start is two moves
     * in one call (SCHEDULED → STARTING → RUNNING; the queues' {@code started}), so SCHEDULED does not list RUNNING.
     */
    public Set<JobState> next() {
        return switch (this) {
            case QUEUED -> EnumSet.of(SCHEDULED, CANCELLED, DEAD);
            case SCHEDULED -> EnumSet.of(STARTING, QUEUED, FAILED, CANCELLED, DEAD);
            case STARTING -> EnumSet.of(RUNNING, QUEUED, FAILED, TIMED_OUT, CANCELLED, DEAD);
            case RUNNING -> EnumSet.of(QUEUED, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, DEAD);
            case SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, DEAD -> EnumSet.noneOf(JobState.class);
        };
    }

    public boolean canMoveTo(JobState target) {
        return next().contains(target);
    }

    public static Set<JobState> finals() {
        return EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, DEAD);
    }
}
