package dev.hangar.core.cluster;

import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.core.runtime.RuntimeStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an agent advertises in each heartbeat: its runtimes as probed, what jobs may reserve on it,
 * how much of that is in use, and what a job may ask for there (images, mountable paths, a network).
 * The server validates submissions and answers {@code /v1/nodes} from these.
 *
 * @param cores the host's CPU cores: one job's CPUs are bounded by them, and by what jobs may reserve ({@link #jobCpusBound})
 * @param networkAllowed whether it gives a sandbox a network when its job asks (false in a heartbeat that does not say)
 * @param pools the node's warm pools as they stand
 * @param poolBudget the memory budget its pools share, and how much of it they hold (null from an agent that sends none)
 * @param draining whether it has seen an ask to drain and takes no more jobs, every job it leased counted in its
 *                 load; null in the heartbeat of an agent that cannot drain (older than draining)
 * @param drainAskedAt while draining, the time of the ask it has seen, as the registry holds it: the server tells
 *                     this ask from an earlier one by it, whatever the two clocks say; null otherwise, and from an
 *                     agent older than this field
 * @param labels the labels jobs select nodes by: those its operator gave it ({@code --label}), or those the
 *               cluster asks it to have in their place ({@link NodeRegistry#relabel}); none from an agent older
 *               than labels
 * @param ownLabels while it has labels the cluster asked for, its operator's own ({@code --label}), which it
 *                  takes again once the ask is dropped; null while it has its own, and from an agent older than
 *                  this field
 * @param instance which agent beats under the name: one per host boot, host name and data directory, so that an agent
 *                 restarted in place is the same and another under the same name is told apart (null from an agent
 *                 older than this field)
 */
public record NodeStatus(
        String name,
        Capacity capacity,
        Load load,
        int cores,
        List<RuntimeStatus> runtimes,
        Set<String> images,
        MountPolicy mounts,
        Boolean networkAllowed,
        Instant heartbeatAt,
        List<PoolStatus> pools,
        PoolsView.Budget poolBudget,
        Boolean draining,
        Instant drainAskedAt,
        Map<String, String> labels,
        Map<String, String> ownLabels,
        String instance) {

    /**
     * The most CPUs one job may ask for here: the host's cores, or what jobs may reserve if fewer ({@code --cpus}),
     * as a lease never gives a job more than that.
     */
    public double jobCpusBound() {
        return Math.min(cores, capacity.cpus());
    }

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
        networkAllowed = networkAllowed != null && networkAllowed;
        pools = pools == null ? List.of() : List.copyOf(pools);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        ownLabels = ownLabels == null ? null : Map.copyOf(ownLabels);
    }

    /** A node not saying which agent beats under its name. */
    public NodeStatus(String name, Capacity capacity, Load load, int cores, List<RuntimeStatus> runtimes, Set<String> images,
            MountPolicy mounts, Boolean networkAllowed, Instant heartbeatAt, List<PoolStatus> pools,
            PoolsView.Budget poolBudget, Boolean draining, Instant drainAskedAt, Map<String, String> labels,
            Map<String, String> ownLabels) {
        this(name, capacity, load, cores, runtimes, images, mounts, networkAllowed, heartbeatAt, pools, poolBudget, draining,
                drainAskedAt, labels, ownLabels, null);
    }

    /** The same heartbeat, from this agent. */
    public NodeStatus fromInstance(String instance) {
        return new NodeStatus(name, capacity, load, cores, runtimes, images, mounts, networkAllowed, heartbeatAt, pools,
                poolBudget, draining, drainAskedAt, labels, ownLabels, instance);
    }

    /** A node with the labels it has, not saying whether they are its own. */
    public NodeStatus(String name, Capacity capacity, Load load, int cores, List<RuntimeStatus> runtimes, Set<String> images,
            MountPolicy mounts, Boolean networkAllowed, Instant heartbeatAt, List<PoolStatus> pools,
            PoolsView.Budget poolBudget, Boolean draining, Instant drainAskedAt, Map<String, String> labels) {
        this(name, capacity, load, cores, runtimes, images, mounts, networkAllowed, heartbeatAt, pools, poolBudget, draining,
                drainAskedAt, labels, null);
    }

    /** A node without labels. */
    public NodeStatus(String name, Capacity capacity, Load load, int cores, List<RuntimeStatus> runtimes, Set<String> images,
            MountPolicy mounts, Boolean networkAllowed, Instant heartbeatAt, List<PoolStatus> pools,
            PoolsView.Budget poolBudget, Boolean draining, Instant drainAskedAt) {
        this(name, capacity, load, cores, runtimes, images, mounts, networkAllowed, heartbeatAt, pools, poolBudget, draining,
                drainAskedAt, null, null);
    }

    /** A node without warm pools, that gives no sandbox a network. */
    public NodeStatus(String name, Capacity capacity, Load load, int cores, List<RuntimeStatus> runtimes,
            Set<String> images, MountPolicy mounts, Instant heartbeatAt) {
        this(name, capacity, load, cores, runtimes, images, mounts, false, heartbeatAt, List.of(), null, false, null, null, null);
    }

    /** The labels it has once no ask stands: its own, whether or not it still has the labels last asked. */
    public Map<String, String> labelsOfItsOwn() {
        return ownLabels != null ? ownLabels : labels;
    }

    /** The names of the runtimes whose probe found them usable. */
    public List<String> availableRuntimes() {
        return runtimes.stream().filter(r -> r.probe().available()).map(RuntimeStatus::name).toList();
    }
}
