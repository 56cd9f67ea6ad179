package dev.hangar.server;

import dev.hangar.core.pool.PoolStatus;
import dev.hangar.server.metrics.CounterTotal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Cluster totals of the pools' counters (served, missed, replaced, expired, evicted, failed) that
 * never go down, as counters must not. Each node's last report stays in the total after the node
 * is lost (it may come back, counting on), and a node that restarted and counts from zero again
 * keeps what it had counted before ({@link CounterTotal}).
 */
final class PoolCounterTotals {
    /** The counters of a PoolStatus, in this order. */
    static final int COUNTERS = 6;

    /** One node's pool as its heartbeat reports it. */
    record Report(String node, PoolStatus pool) {}

    /** One node's counts of one pool. */
    private record Counts(String pool, CounterTotal[] counters) {}

    private final Map<String, Counts> byNodeAndPool = new HashMap<>();

    /** Takes in what the live nodes report now. */
    synchronized void update(List<Report> reports) {
        for (Report report : reports) {
            String pool = report.pool().spec().name();
            Counts counts = byNodeAndPool.computeIfAbsent(report.node() + '\0' + pool, key -> new Counts(pool,
                    IntStream.range(0, COUNTERS).mapToObj(i -> new CounterTotal()).toArray(CounterTotal[]::new)));
            long[] now = counters(report.pool());
            for (int i = 0; i < COUNTERS; i++) {
                counts.counters()[i].report(now[i]);
            }
        }
    }

    /** The pool's counters over every node that ever reported it. */
    synchronized long[] total(String pool) {
        long[] total = new long[COUNTERS];
        for (Counts counts : byNodeAndPool.values()) {
            if (counts.pool().equals(pool)) {
                for (int i = 0; i < COUNTERS; i++) {
                    total[i] += counts.counters()[i].total();
                }
            }
        }
        return total;
    }

    private static long[] counters(PoolStatus pool) {
        return new long[] {pool.served(), pool.missed(), pool.replaced(), pool.expired(), pool.evicted(), pool.failed()};
    }
}
