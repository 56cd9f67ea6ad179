package dev.hangar.core.cluster;

import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.core.runtime.RuntimeStatus;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What an agent advertises in each heartbeat: its runtimes as probed, what jobs may reserve on it,
 * how much of that is in use, and what a job may name there (images, mountable paths). The server
 * validates submissions and answers {@code /v1/nodes} from these.
 *
 * @param cores the host's CPU cores, the bound of one job's CPUs
 * @param pools the node's warm pools as they stand
 * @param poolBudget the memory budget its pools share, and how much of it they hold (null from an agent that sends none)
 */
public record NodeStatus(
        String name,
        Capacity capacity,
        Load load,
        int cores,
        List<RuntimeStatus> runtimes,
        Set<String> images,
        MountPolicy mounts,
        Instant heartbeatAt,
        List<PoolStatus> pools,
        PoolsView.Budget poolBudget) {

    /** What jobs may reserve on the node in total (CPUs may be overcommitted over its cores). */
    public record Capacity(double cpus, long memoryMb, int gpus) {}

    /** What is in use now. */
    public record Load(int runningJobs, double freeCpus, long freeMemoryMb, int freeGpus) {
        public static Load idle(Capacity capacity) {
            return new Load(0, capacity.cpus(), capacity.memoryMb(), capacity.gpus());
        }
    }

    public NodeStatus {
        runtimes = List.copyOf(runtimes);
        images = images == null ? Set.of() : Set.copyOf(images);
        mounts = mounts == null ? MountPolicy.none() : mounts;
        pools = pools == null ? List.of() : List.copyOf(pools);
    }

    /** A node without warm pools. */
    public NodeStatus(String name, Capacity capacity, Load load, int cores, List<RuntimeStatus> runtimes,
            Set<String> images, MountPolicy mounts, Instant heartbeatAt) {
        this(name, capacity, load, cores, runtimes, images, mounts, heartbeatAt, List.of(), null);
    }

    /** The names of the runtimes whose probe found them usable. */
    public List<String> availableRuntimes() {
        return runtimes.stream().filter(r -> r.probe().available()).map(RuntimeStatus::name).toList();
    }
}
