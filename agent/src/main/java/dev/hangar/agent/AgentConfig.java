package dev.hangar.agent;

import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.core.job.MountPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a node agent runs.
 *
 * @param nodeName       this node's name, also its worker id in the queue
 * @param cpus           CPUs jobs may reserve in total (may exceed the cores: quotas share them)
 * @param memoryMb       memory jobs may reserve in total
 * @param maxJobs        jobs running at once, whatever their size
 * @param leaseFor       how long a lease lasts without renewal; a dead agent's jobs wait this long
 * @param pollInterval   how often to look for work when no wake-up came (other writers, backoffs)
 * @param networkAllowed whether sandboxes may be given a network when a job asks
 * @param gpus           device indices of this node's GPUs
 * @param mounts         host paths jobs may mount
 * @param runtimes       the runtime drivers this node runs; empty for every one found
 * @param pools          the warm pools it keeps, and their memory budget
 * @param createTimeout  how long making a job's sandbox may take; past it the job is given back and
 *                       the runtime counts it as a failure (a hung runtime must not hold a job for ever)
 * @param labels         the labels its operator gives it ({@code --label}), by which jobs select nodes
 */
public record AgentConfig(String nodeName, double cpus, long memoryMb, List<String> gpus, int maxJobs, Duration leaseFor,
        Duration pollInterval, boolean networkAllowed, MountPolicy mounts, Set<String> runtimes, PoolConfig pools,
        Duration createTimeout, Map<String, String> labels) {

    /** Long enough for a large image's first import, short enough that a hung runtime lets go of its job. */
    public static final Duration DEFAULT_CREATE_TIMEOUT = Duration.ofMinutes(5);

    /** CPU reservations may add up to this many times the cores: limits are quotas, not pinning. */
    public static final int CPU_OVERCOMMIT = 4;

    public AgentConfig {
        if (nodeName == null || nodeName.isBlank()) {
            throw new IllegalArgumentException("nodeName must not be blank");
        }
        if (cpus <= 0 || memoryMb <= 0 || maxJobs <= 0) {
            throw new IllegalArgumentException("cpus, memoryMb and maxJobs must be positive; got cpus=" + cpus
                    + " memoryMb=" + memoryMb + " maxJobs=" + maxJobs);
        }
        gpus = List.copyOf(gpus);
        runtimes = Set.copyOf(runtimes);
        pools = pools == null ? PoolConfig.none() : pools;
        createTimeout = createTimeout == null ? DEFAULT_CREATE_TIMEOUT : createTimeout;
        if (createTimeout.isNegative() || createTimeout.isZero()) {
            throw new IllegalArgumentException("createTimeout must be positive; got " + createTimeout);
        }
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A node without labels. */
    public AgentConfig(String nodeName, double cpus, long memoryMb, List<String> gpus, int maxJobs, Duration leaseFor,
            Duration pollInterval, boolean networkAllowed, MountPolicy mounts, Set<String> runtimes, PoolConfig pools,
            Duration createTimeout) {
        this(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, networkAllowed, mounts, runtimes, pools,
                createTimeout, null);
    }

    /** A node whose sandboxes may take {@link #DEFAULT_CREATE_TIMEOUT} to make. */
    public AgentConfig(String nodeName, double cpus, long memoryMb, List<String> gpus, int maxJobs, Duration leaseFor,
            Duration pollInterval, boolean networkAllowed, MountPolicy mounts, Set<String> runtimes, PoolConfig pools) {
        this(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, networkAllowed, mounts, runtimes, pools, null);
    }

    /** A node without warm pools. */
    public AgentConfig(String nodeName, double cpus, long memoryMb, List<String> gpus, int maxJobs, Duration leaseFor,
            Duration pollInterval, boolean networkAllowed, MountPolicy mounts, Set<String> runtimes) {
        this(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, networkAllowed, mounts, runtimes, null, null);
    }

    /**
     * What jobs may reserve on this host, as the operating system reports it: every core ({@link
     * #CPU_OVERCOMMIT} each), its memory less the {@link SystemReserve}, every GPU found.
     */
    public static AgentConfig forThisHost(String nodeName) {
        int cores = Runtime.getRuntime().availableProcessors();
        return new AgentConfig(nodeName, cores * CPU_OVERCOMMIT, SystemReserve.leftToJobsMb(HostMemory.totalMb()),
                Gpus.discover(), 64,
                Duration.ofSeconds(30), Duration.ofMillis(500), false, MountPolicy.none(), Set.of());
    }

    public AgentConfig withLeaseFor(Duration value) {
        return new AgentConfig(nodeName, cpus, memoryMb, gpus, maxJobs, value, pollInterval, networkAllowed, mounts, runtimes, pools,
                createTimeout, labels);
    }

    public AgentConfig withNetworkAllowed(boolean value) {
        return new AgentConfig(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, value, mounts, runtimes, pools,
                createTimeout, labels);
    }

    public AgentConfig withMounts(MountPolicy value) {
        return new AgentConfig(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, networkAllowed, value, runtimes, pools,
                createTimeout, labels);
    }

    public AgentConfig withRuntimes(Set<String> value) {
        return new AgentConfig(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, networkAllowed, mounts, value, pools,
                createTimeout, labels);
    }

    public AgentConfig withPools(PoolConfig value) {
        return new AgentConfig(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, networkAllowed, mounts, runtimes,
                value, createTimeout, labels);
    }

    public AgentConfig withMaxJobs(int value) {
        return new AgentConfig(nodeName, cpus, memoryMb, gpus, value, leaseFor, pollInterval, networkAllowed, mounts, runtimes, pools,
                createTimeout, labels);
    }

    public AgentConfig withCreateTimeout(Duration value) {
        return new AgentConfig(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, networkAllowed, mounts, runtimes, pools,
                value, labels);
    }

    public AgentConfig withLabels(Map<String, String> value) {
        return new AgentConfig(nodeName, cpus, memoryMb, gpus, maxJobs, leaseFor, pollInterval, networkAllowed, mounts, runtimes, pools,
                createTimeout, value);
    }

    /** What jobs may reserve here in all: CPUs, memory, and the GPUs they may be given, by device number (/dev/nvidiaN). */
    public AgentConfig withCapacity(double cpusValue, long memoryMbValue, List<String> gpusValue) {
        return new AgentConfig(nodeName, cpusValue, memoryMbValue, gpusValue, maxJobs, leaseFor, pollInterval, networkAllowed, mounts,
                runtimes, pools, createTimeout, labels);
    }
}
