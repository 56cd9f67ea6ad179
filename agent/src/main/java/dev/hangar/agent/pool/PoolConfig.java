package dev.hangar.agent.pool;

import dev.hangar.core.pool.PoolSpec;
import java.time.Duration;
import java.util.List;

/**
 * The warm pools a node starts with, and what they share.
 *
 * @param pools          the pools to keep from the start
 * @param memoryBudgetMb the memory all warm (ready or starting) sandboxes of the node may hold
 *                       together; 0 for a quarter of the node's memory
 * @param checkEvery     how often ready sandboxes are checked for a dead launcher and for idling
 * @param makers         sandboxes made at once for all pools: on a small host, refills must leave
 *                       cores to the jobs
 * @param jobCpus        the CPUs the node's jobs may reserve in total ({@code --cpus}); 0 for no bound but the
 *                       cores. A pool's sandboxes may have no more: no job of the node could take one.
 */
public record PoolConfig(List<PoolSpec> pools, long memoryBudgetMb, Duration checkEvery, int makers, double jobCpus) {
    public static final Duration DEFAULT_CHECK_EVERY = Duration.ofSeconds(1);

    public PoolConfig {
        pools = List.copyOf(pools);
        if (memoryBudgetMb < 0) {
            throw new IllegalArgumentException("pool memory budget must be at least 0 MB (0: a quarter of the node's), got "
                    + memoryBudgetMb);
        }
        if (checkEvery == null || checkEvery.isNegative() || checkEvery.isZero()) {
            throw new IllegalArgumentException("pool check interval must be positive, got " + checkEvery);
        }
        if (makers < 1) {
            throw new IllegalArgumentException("pool makers must be at least 1, got " + makers);
        }
        if (!(jobCpus >= 0)) {
            throw new IllegalArgumentException("the CPUs jobs may reserve must be at least 0 (0: no bound), got " + jobCpus);
        }
    }

    public PoolConfig(List<PoolSpec> pools, long memoryBudgetMb, Duration checkEvery, int makers) {
        this(pools, memoryBudgetMb, checkEvery, makers, 0);
    }

    public static PoolConfig none() {
        return new PoolConfig(List.of(), 0, DEFAULT_CHECK_EVERY, defaultMakers());
    }

    public static PoolConfig of(List<PoolSpec> pools, long memoryBudgetMb) {
        return new PoolConfig(pools, memoryBudgetMb, DEFAULT_CHECK_EVERY, defaultMakers());
    }

    public PoolConfig withCheckEvery(Duration value) {
        return new PoolConfig(pools, memoryBudgetMb, value, makers, jobCpus);
    }

    public PoolConfig withPools(List<PoolSpec> value) {
        return new PoolConfig(value, memoryBudgetMb, checkEvery, makers, jobCpus);
    }

    public PoolConfig withJobCpus(double value) {
        return new PoolConfig(pools, memoryBudgetMb, checkEvery, makers, value);
    }

    /** The budget in force on a node with {@code nodeMemoryMb}. */
    public long budgetMb(long nodeMemoryMb) {
        return memoryBudgetMb > 0 ? memoryBudgetMb : nodeMemoryMb / 4;
    }

    private static int defaultMakers() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
