package dev.hangar.server.metrics;

import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The warm pools of a node as metrics, labelled by pool and runtime: ready, starting and in-use
 * sandboxes and the memory they hold (gauges), jobs served, jobs that found a pool empty, dead
 * sandboxes replaced (counters). Pools are met when scraped, as they may be added at any time; a
 * removed pool's meters read 0 from then on.
 */
final class PoolMetrics {
    private final MeterRegistry registry;
    private final PoolsView pools;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    PoolMetrics(MeterRegistry registry, PoolsView pools) {
        this.registry = registry;
        this.pools = pools;
    }

    /** Registers the meters of pools not met before; returns the runtimes that back a pool. */
    Set<String> refresh() {
        List<PoolStatus> now = pools.pools();
        for (PoolStatus pool : now) {
            String name = pool.spec().name();
            if (registered.add(name)) {
                Tags tags = Tags.of("pool", name, "runtime", pool.spec().runtime());
                gauge("hangar.pool.sandboxes", "Ready sandboxes a warm pool holds", tags, name, PoolStatus::ready);
                gauge("hangar.pool.sandboxes.starting", "Sandboxes a warm pool is making", tags, name, PoolStatus::starting);
                gauge("hangar.pool.sandboxes.in.use", "Sandboxes taken from a warm pool whose job still runs", tags, name,
                        PoolStatus::inUse);
                Gauge.builder("hangar.pool.memory.held", this, m -> m.read(name, p -> p.memoryHeldMb() * 1024.0 * 1024))
                        .description("Memory a warm pool's ready and starting sandboxes hold").baseUnit("bytes")
                        .tags(tags).strongReference(true).register(registry);
                counter("hangar.pool.served", "Jobs that took a sandbox from a warm pool", tags, name, PoolStatus::served);
                counter("hangar.pool.missed", "Jobs that fit a warm pool but found it empty and started cold", tags, name,
                        PoolStatus::missed);
                counter("hangar.pool.replaced", "Ready sandboxes of a warm pool found dead and replaced", tags, name,
                        PoolStatus::replaced);
            }
        }
        return now.stream().map(p -> p.spec().runtime()).collect(java.util.stream.Collectors.toSet());
    }

    private void gauge(String metric, String description, Tags tags, String pool, ToDoubleFunction<PoolStatus> value) {
        Gauge.builder(metric, this, m -> m.read(pool, value)).description(description).tags(tags).strongReference(true)
                .register(registry);
    }

    private void counter(String metric, String description, Tags tags, String pool, ToDoubleFunction<PoolStatus> value) {
        FunctionCounter.builder(metric, this, m -> m.read(pool, value)).description(description).tags(tags)
                .register(registry);
    }

    private double read(String pool, ToDoubleFunction<PoolStatus> value) {
        return pools.pools().stream().filter(p -> p.spec().name().equals(pool)).findFirst().map(value::applyAsDouble)
                .orElse(0.0);
    }
}
