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
 * sandboxes replaced (counters). Pools are met when scraped, as they may be added at any time.
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
    /** The meters' labels by pool name, as met first. */
    private final Map<String, Tags> registered = new ConcurrentHashMap<>();
    private volatile Map<String, PoolStatus> last = Map.of();
    private final Map<String, Total> totals = new ConcurrentHashMap<>();

    PoolMetrics(MeterRegistry registry, PoolsView pools) {
        this.registry = registry;
        this.pools = pools;
    }

    /** Reads the pools and registers the meters of those not met before; returns the runtimes that back a pool. */
    synchronized Set<String> refresh() {
        List<PoolStatus> now = pools.pools();
        last = now.stream().collect(Collectors.toUnmodifiableMap(p -> p.spec().name(), p -> p, (a, b) -> a));
        for (PoolStatus pool : now) {
            String name = pool.spec().name();
            if (registered.putIfAbsent(name, Tags.of("pool", name, "runtime", pool.spec().runtime())) == null) {
                register(name, registered.get(name));
            }
            count(name, "served", pool.served());
            count(name, "missed", pool.missed());
            count(name, "replaced", pool.replaced());
        }
        return now.stream().map(p -> p.spec().runtime()).collect(Collectors.toSet());
    }

    private void register(String name, Tags tags) {
        gauge("hangar.pool.sandboxes", "Ready sandboxes a warm pool holds", tags, name, PoolStatus::ready);
        gauge("hangar.pool.sandboxes.starting", "Sandboxes a warm pool is making", tags, name, PoolStatus::starting);
        gauge("hangar.pool.sandboxes.in.use", "Sandboxes taken from a warm pool whose job still runs", tags, name,
                PoolStatus::inUse);
        Gauge.builder("hangar.pool.memory.held", this, m -> m.read(name, p -> p.memoryHeldMb() * 1024.0 * 1024))
                .description("Memory a warm pool's ready and starting sandboxes hold").baseUnit("bytes")
                .tags(tags).strongReference(true).register(registry);
        counter("hangar.pool.served", "Jobs that took a sandbox from a warm pool", tags, name, "served");
        counter("hangar.pool.missed", "Jobs that fit a warm pool but found it empty and started cold", tags, name,
                "missed");
        counter("hangar.pool.replaced", "Ready sandboxes of a warm pool found dead and replaced", tags, name, "replaced");
    }

    private void gauge(String metric, String description, Tags tags, String pool, ToDoubleFunction<PoolStatus> value) {
        Gauge.builder(metric, this, m -> m.read(pool, value)).description(description).tags(tags).strongReference(true)
                .register(registry);
    }

    private void counter(String metric, String description, Tags tags, String pool, String figure) {
        Total total = totals.computeIfAbsent(pool + "/" + figure, key -> new Total());
        FunctionCounter.builder(metric, total, Total::value).description(description).tags(tags).register(registry);
    }

    private void count(String pool, String figure, long reported) {
        totals.computeIfAbsent(pool + "/" + figure, key -> new Total()).add(reported);
    }

    private double read(String pool, ToDoubleFunction<PoolStatus> value) {
        PoolStatus status = last.get(pool);
        return status == null ? 0.0 : value.applyAsDouble(status);
    }

    /** A counter's total from the figures a pool reports, which may start again from 0. */
    private static final class Total {
        private long reported;
        private long value;

        synchronized void add(long now) {
            value += now >= reported ? now - reported : now;
            reported = now;
        }

        synchronized double value() {
            return value;
        }
    }
}
