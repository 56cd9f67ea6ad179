package dev.hangar.core.job;

/**
 * What kind of work this is: who vouches for it, what it needs, how fast it must start and how
 * many threads it runs.
 */
public record WorkloadProfile(Trust trust, Needs needs, Integer latencyBudgetMs, Integer threads) {
    public WorkloadProfile {
        trust = trust == null ? Trust.TRUSTED : trust;
        needs = needs == null ? Needs.defaults() : needs;
    }

    public static WorkloadProfile defaults() {
        return new WorkloadProfile(null, null, null, null);
    }

    public boolean untrusted() {
        return trust == Trust.UNTRUSTED;
    }
}
