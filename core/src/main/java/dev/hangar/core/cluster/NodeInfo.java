package dev.hangar.core.cluster;

import dev.hangar.core.pool.PoolStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A node as the events stream, {@code /v1/nodes} and the metrics describe it.
 *
 * @param capacity    what jobs may reserve on it in total (CPUs may be overcommitted over its cores)
 * @param runtimes    the names of its runtimes whose probe found them available
 * @param load        what its running jobs have reserved now (not what they are measured to use)
 * @param heartbeatAt when it last said it is alive
 * @param pools       its warm pools, as of its last heartbeat
 * @param networkAllowed whether it gives a sandbox a network when its job asks: started with {@code --allow-network},
 *                       it has a runtime that can
 * @param drain       where it stands if it is asked to drain; null if it is not
 * @param labels      the labels jobs select nodes by: its operator's ({@code --label}), or those the cluster asked it
 *                    to have in their place
 * @param labelsAsked whether its labels are not its own but those the cluster asked it to have, as its last heartbeat
 *                    says (false too where the two are the same, and from an agent older than saying so)
 */
public record NodeInfo(String name, State state, Capacity capacity, List<String> runtimes, Load load, Instant heartbeatAt,
        List<PoolStatus> pools, Boolean networkAllowed, Drain drain, Map<String, String> labels, boolean labelsAsked) {
    public enum State { JOINED, LOST }

    /** A node asked to drain: to take no more jobs, while those it runs finish. */
    public enum Drain {
        /** Its heartbeat has not yet said it has seen the ask: it may still take a job. */
        ASKED,
        /** It takes no more jobs; those it runs finish. */
        DRAINING,
        /** It takes no jobs and runs none: it may be stopped. */
        DRAINED
    }

    public record Capacity(double cpus, long memoryMb, int gpus) {}

    public record Load(int runningJobs, double freeCpus, long freeMemoryMb, int freeGpus) {}

    public NodeInfo {
        runtimes = List.copyOf(runtimes);
        pools = pools == null ? List.of() : List.copyOf(pools);
        networkAllowed = networkAllowed != null && networkAllowed;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A node with its own labels. */
    public NodeInfo(String name, State state, Capacity capacity, List<String> runtimes, Load load, Instant heartbeatAt,
            List<PoolStatus> pools, Boolean networkAllowed, Drain drain, Map<String, String> labels) {
        this(name, state, capacity, runtimes, load, heartbeatAt, pools, networkAllowed, drain, labels, false);
    }

    /** A node without labels. */
    public NodeInfo(String name, State state, Capacity capacity, List<String> runtimes, Load load, Instant heartbeatAt,
            List<PoolStatus> pools, Boolean networkAllowed, Drain drain) {
        this(name, state, capacity, runtimes, load, heartbeatAt, pools, networkAllowed, drain, null);
    }

    /** A node with nothing running, as it joins, that gives no sandbox a network. */
    public NodeInfo(String name, State state, Capacity capacity, List<String> runtimes) {
        this(name, state, capacity, runtimes, false);
    }

    /** A node with nothing running, as it joins. */
    public NodeInfo(String name, State state, Capacity capacity, List<String> runtimes, boolean networkAllowed) {
        this(name, state, capacity, runtimes, new Load(0, capacity.cpus(), capacity.memoryMb(), capacity.gpus()), null, List.of(),
                networkAllowed, null);
    }

    /** A node of a cluster, as its last heartbeat describes it, not asked to drain. */
    public static NodeInfo of(NodeStatus status, State state) {
        return of(status, state, null);
    }

    /**
     * A node of a cluster, as its last heartbeat describes it, asked to drain at {@code drainAskedAt} (null:
     * not asked). A heartbeat that saw an earlier ask says nothing of this one: it names the ask it saw (an
     * older agent's, made before this ask, is told by its time).
     */
    public static NodeInfo of(NodeStatus status, State state, Instant drainAskedAt) {
        var capacity = status.capacity();
        var load = status.load();
        return new NodeInfo(status.name(), state, new Capacity(capacity.cpus(), capacity.memoryMb(), capacity.gpus()),
                status.availableRuntimes(),
                new Load(load.runningJobs(), load.freeCpus(), load.freeMemoryMb(), load.freeGpus()),
                status.heartbeatAt(), status.pools(), status.networkAllowed(), drainOf(status, drainAskedAt),
                status.labels(), status.ownLabels() != null);
    }

    private static Drain drainOf(NodeStatus status, Instant askedAt) {
        if (askedAt == null) {
            return null;
        }
        boolean seen = Boolean.TRUE.equals(status.draining()) && (status.drainAskedAt() != null
                ? status.drainAskedAt().equals(askedAt)
                : status.heartbeatAt() != null && !status.heartbeatAt().isBefore(askedAt));
        return !seen ? Drain.ASKED : status.load().runningJobs() == 0 ? Drain.DRAINED : Drain.DRAINING;
    }

    public NodeInfo withState(State value) {
        return new NodeInfo(name, value, capacity, runtimes, load, heartbeatAt, pools, networkAllowed, drain, labels,
                labelsAsked);
    }
}
