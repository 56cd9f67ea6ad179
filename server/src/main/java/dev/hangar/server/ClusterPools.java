package dev.hangar.server;

import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The warm pools of a cluster, as its nodes' last heartbeats report them. A pool of one name kept
 * on several nodes (each agent started with the same {@code --pool}) is shown once, its counts,
 * min and max summed over the nodes (what the cluster keeps); the rest of its spec is that of the
 * first node by name. Read-only: each agent keeps its own pools, so they are set where the agent starts.
 */
public final class ClusterPools implements PoolsView {
    static final String READ_ONLY = "a cluster's pools are kept by each agent: set them where the agent starts"
            + " ('hangar agent --pool ...'), or on a node started with 'hangar up'; this server shows them summed over"
            + " its nodes";

    private final Supplier<List<NodeStatus>> nodes;

    /** Pools of the nodes this supplies: those alive now. */
    public ClusterPools(Supplier<List<NodeStatus>> nodes) {
        this.nodes = nodes;
    }

    @Override
    public List<PoolStatus> pools() {
        Map<String, List<Kept>> byName = new LinkedHashMap<>();
        for (NodeStatus node : byName(nodes.get())) {
            for (PoolStatus pool : node.pools()) {
                byName.computeIfAbsent(pool.spec().name(), k -> new ArrayList<>()).add(new Kept(node.name(), pool));
            }
        }
        return byName.values().stream().map(ClusterPools::summed)
                .sorted(Comparator.comparing(p -> p.spec().name())).toList();
    }

    @Override
    public Budget budget() {
        long memoryMb = 0;
        long heldMb = 0;
        for (NodeStatus node : nodes.get()) {
            if (node.poolBudget() != null) {
                memoryMb += node.poolBudget().memoryMb();
                heldMb += node.poolBudget().heldMb();
            }
        }
        return new Budget(memoryMb, heldMb);
    }

    @Override
    public PoolStatus put(PoolSpec spec) {
        throw new UnsupportedOperationException(READ_ONLY);
    }

    @Override
    public Optional<PoolStatus> remove(String name) {
        throw new UnsupportedOperationException(READ_ONLY);
    }

    @Override
    public Optional<String> readOnly() {
        return Optional.of(READ_ONLY);
    }

    private static List<NodeStatus> byName(List<NodeStatus> nodes) {
        return nodes.stream().sorted(Comparator.comparing(NodeStatus::name)).toList();
    }

    /** One node's pool. */
    private record Kept(String node, PoolStatus pool) {}

    private static PoolStatus summed(List<Kept> kept) {
        PoolStatus first = kept.getFirst().pool();
        if (kept.size() == 1) {
            return first;
        }
        List<PoolStatus> pools = kept.stream().map(Kept::pool).toList();
        PoolSpec spec = first.spec();
        PoolSpec cluster = new PoolSpec(spec.name(), spec.runtime(), spec.image(), spec.cpus(), spec.memoryMb(),
                (int) sum(pools, p -> p.spec().min()), (int) sum(pools, p -> p.spec().max()), spec.idleSeconds(),
                spec.snapshot(), spec.prepare());
        return new PoolStatus(cluster, (int) sum(pools, PoolStatus::ready), (int) sum(pools, PoolStatus::starting),
                (int) sum(pools, PoolStatus::inUse), sum(pools, PoolStatus::served), sum(pools, PoolStatus::missed),
                sum(pools, PoolStatus::replaced), sum(pools, PoolStatus::expired), sum(pools, PoolStatus::failed),
                (int) sum(pools, PoolStatus::target), sum(pools, PoolStatus::memoryHeldMb),
                perNode(kept, PoolStatus::limitedBy), perNode(kept, PoolStatus::lastError));
    }

    private static long sum(List<PoolStatus> pools, ToLongFunction<PoolStatus> count) {
        return pools.stream().mapToLong(count).sum();
    }

    /** "node: note; node: note" of the nodes that have this note, or null if none has. */
    private static String perNode(List<Kept> kept, Function<PoolStatus, String> note) {
        List<String> notes = kept.stream().filter(k -> note.apply(k.pool()) != null)
                .map(k -> k.node() + ": " + note.apply(k.pool())).toList();
        return notes.isEmpty() ? null : String.join("; ", notes);
    }
}
