package dev.hangar.server.metrics;

import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The warm pools of a node as metrics, labelled by pool and runtime: ready, starting and in-use
 * sandboxes and the memory they hold (gauges), jobs served, jobs that found a pool empty, dead
 * sandboxes replaced (counters). Pools are met when scraped, as they may be added at any time; a
 * pool made again on another runtime is met as a new one (its old meters read 0 sandboxes).
 *
 * <p>The pools are read once per scrape, by {@link #refresh}, and the meters read what it kept: a
 * cluster's registry that is away fails that read alone (the figures stay as last read), never the
 * scrape. A pool that is gone reads 0 sandboxes, but its counters keep their totals: a counter
 * never goes back, as when a cluster's only node with that pool is lost and comes back, and a
 * pool's counts that start again from 0 (a pool removed and made again) add to its total.
 */
final class PoolMetrics {
    private final MeterRegistry registry;
    private final PoolsView pools;
    /** The pools met, by {@link #key}. */
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private volatile Map<String, PoolStatus> last = Map.of();
    private final Map<String, CounterTotal> totals = new ConcurrentHashMap<>();

    PoolMetrics(MeterRegistry registry, PoolsView pools) {
        this.registry = registry;
        this.pools = pools;
    }

    /** Reads the pools and registers the meters of those not met before; returns the runtimes that back a pool. */
    synchronized Set<String> refresh() {
        List<PoolStatus> now = pools.pools();
        last = now.stream().collect(Collectors.toUnmodifiableMap(PoolMetrics::key, p -> p, (a, b) -> a));
        for (PoolStatus pool : now) {
            String key = key(pool);
            if (registered.add(key)) {
                register(key, Tags.of("pool", pool.spec().name(), "runtime", pool.spec().runtime()));
            }
            count(key, "served", pool.served());
            count(key, "missed", pool.missed());
            count(key, "replaced", pool.replaced());
        }
        return now.stream().map(p -> p.spec().runtime()).collect(Collectors.toSet());
    }

    /** A pool as its meters are labelled: by name and runtime. */
    private static String key(PoolStatus pool) {
        return pool.spec().name() + "\0" + pool.spec().runtime();
    }

    private void register(String key, Tags tags) {
        gauge("hangar.pool.sandboxes", "Ready sandboxes a warm pool holds", tags, key, PoolStatus::ready);
        gauge("hangar.pool.sandboxes.starting", "Sandboxes a warm pool is making", tags, key, PoolStatus::starting);
        gauge("hangar.pool.sandboxes.in.use", "Sandboxes taken from a warm pool whose job still runs", tags, key,
                PoolStatus::inUse);
        Gauge.builder("hangar.pool.memory.held", this, m -> m.read(key, p -> p.memoryHeldMb() * 1024.0 * 1024))
                .description("Memory a warm pool's ready and starting sandboxes hold").baseUnit("bytes")
                .tags(tags).strongReference(true).register(registry);
        counter("hangar.pool.served", "Jobs that took a sandbox from a warm pool", tags, key, "served");
        counter("hangar.pool.missed", "Jobs that fit a warm pool but found it empty and started cold", tags, key,
                "missed");
        counter("hangar.pool.replaced", "Ready sandboxes of a warm pool found dead and replaced", tags, key, "replaced");
    }

    private void gauge(String metric, String description, Tags tags, String key, ToDoubleFunction<PoolStatus> value) {
        Gauge.builder(metric, this, m -> m.read(key, value)).description(description).tags(tags).strongReference(true)
                .register(registry);
    }

    private void counter(String metric, String description, Tags tags, String key, String figure) {
        CounterTotal total = totals.computeIfAbsent(key + "/" + figure, k -> new CounterTotal());
        FunctionCounter.builder(metric, total, CounterTotal::total).description(description).tags(tags).register(registry);
    }

    private void count(String key, String figure, long reported) {
        totals.computeIfAbsent(key + "/" + figure, k -> new CounterTotal()).report(reported);
    }

    private double read(String key, ToDoubleFunction<PoolStatus> value) {
        PoolStatus status = last.get(key);
        return status == null ? 0.0 : value.applyAsDouble(status);
    }
}
