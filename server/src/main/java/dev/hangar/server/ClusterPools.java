package dev.hangar.server;

import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.server.PoolCounterTotals.Report;
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
 * first node by name, and its notes name their node. Its counters (served, missed, ...) also keep
 * what lost and restarted nodes had counted, so that they never go down ({@link PoolCounterTotals}).
 * Read-only: each agent keeps its own pools, so they are set where the agent starts.
 */
public final class ClusterPools implements PoolsView {
    static final String READ_ONLY = "a cluster's pools are kept by each agent: set them where the agent starts"
            + " ('hangar agent --pool ...'), or on a node started with 'hangar up'; this server shows them summed over"
            + " its nodes";

    private final Supplier<List<NodeStatus>> nodes;
    private final PoolCounterTotals totals = new PoolCounterTotals();

    /** Pools of the nodes this supplies: those alive now, by name (as {@link ClusterNodes#statuses}). */
    public ClusterPools(Supplier<List<NodeStatus>> nodes) {
        this.nodes = nodes;
    }

    /**
     * Synchronized: the totals must be updated in the order the node reports were read, or an older
     * report read by one caller and counted after a newer one would look like a node restart.
     */
    @Override
    public synchronized List<PoolStatus> pools() {
        List<Report> reports = new ArrayList<>();
        Map<String, List<Report>> byName = new LinkedHashMap<>();
        for (NodeStatus node : nodes.get()) {
            for (PoolStatus pool : node.pools()) {
                Report report = new Report(node.name(), pool);
                reports.add(report);
                byName.computeIfAbsent(pool.spec().name(), k -> new ArrayList<>()).add(report);
            }
        }
        totals.update(reports);
        return byName.values().stream().map(this::summed)
                .sorted(Comparator.comparing(p -> p.spec().name())).toList();
    }

    /** The budgets of the nodes that keep pools (every agent has a budget, used or not). */
    @Override
    public Budget budget() {
        long memoryMb = 0;
        long heldMb = 0;
        for (NodeStatus node : nodes.get()) {
            if (node.poolBudget() != null && !node.pools().isEmpty()) {
                memoryMb += node.poolBudget().memoryMb();
                heldMb += node.poolBudget().heldMb();
            }
        }
        return new Budget(memoryMb, heldMb);
    }

    @Override
    public Put put(PoolSpec spec) {
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

    private PoolStatus summed(List<Report> reports) {
        List<PoolStatus> pools = reports.stream().map(Report::pool).toList();
        PoolSpec spec = pools.getFirst().spec();
        long[] counters = totals.total(spec.name());
        PoolSpec cluster = new PoolSpec(spec.name(), spec.runtime(), spec.image(), spec.cpus(), spec.memoryMb(),
                (int) sum(pools, p -> p.spec().min()), (int) sum(pools, p -> p.spec().max()), spec.idleSeconds(),
                spec.snapshot(), spec.prepare());
        return new PoolStatus(cluster, (int) sum(pools, PoolStatus::ready), (int) sum(pools, PoolStatus::starting),
                (int) sum(pools, PoolStatus::inUse), counters[0], counters[1], counters[2], counters[3], counters[4],
                counters[5],
                (int) sum(pools, PoolStatus::target), sum(pools, PoolStatus::memoryHeldMb),
                perNode(reports, PoolStatus::limitedBy), perNode(reports, PoolStatus::lastError));
    }

    private static long sum(List<PoolStatus> pools, ToLongFunction<PoolStatus> count) {
        return pools.stream().mapToLong(count).sum();
    }

    /** "node: note; node: note" of the nodes that have this note, or null if none has. */
    private static String perNode(List<Report> reports, Function<PoolStatus, String> note) {
        List<String> notes = reports.stream().filter(k -> note.apply(k.pool()) != null)
                .map(k -> k.node() + ": " + note.apply(k.pool())).toList();
        return notes.isEmpty() ? null : String.join("; ", notes);
    }
}
