package dev.hangar.server.metrics;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.JobStore;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.server.NodeView;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What {@code GET /metrics} shows, in the Prometheus text format: the JVM's metrics and Hangar's
 * ({@code hangar_*}). Job counts are read from the store when scraped ({@link JobCounts}); finished
 * jobs and attempt latencies come from job events ({@link AttemptMetrics}); node capacity from
 * the nodes that joined; sandboxes running from each node's heartbeat, or from the node itself
 * through the hook {@link #sandboxesRunning}; pools through {@link #poolSandboxes}.
 */
public final class HangarMetrics implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HangarMetrics.class.getName());

    /** The Prometheus text exposition format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** The start path of a job made in a sandbox of its own, and of a job whose path is not recorded. */
    public static final String COLD = "cold";
    /** A job's start path as its timings record it: cold, warm (from a pool) or restored (from a snapshot). */
    public static final Function<Job, String> RECORDED_PATH =
            job -> job.timings() == null || job.timings().path() == null ? COLD : job.timings().path().label();

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JobCounts counts;
    private final AttemptMetrics attempts;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private static final String SANDBOXES_RUNNING = "hangar.sandboxes.running";
    private final Map<String, List<Meter>> nodeMeters = new ConcurrentHashMap<>();
    /** Nodes that say how many sandboxes they run through {@link #sandboxesRunning}, not by heartbeat. */
    private final java.util.Set<String> nodesWithHook = new java.util.HashSet<>();
    private final NodeView nodeView;
    /**
     * The nodes as read at the last scrape, or null when they could not be read (a cluster's registry may be out of
     * reach): one read serves every node's series of a scrape.
     */
    private volatile List<NodeInfo> scrapedNodes = List.of();
    /** The asks to drain kept, of nodes up and of nodes not up, as of the last scrape that could read them. */
    private final java.util.concurrent.atomic.AtomicIntegerArray drainAsks = new java.util.concurrent.atomic.AtomicIntegerArray(2);
    /** Nodes whose changes were heard: the list read when starting does not overrule them. */
    private final java.util.Set<String> heard = new java.util.HashSet<>();
    private final AutoCloseable jobs;
    private final AutoCloseable nodes;
    private volatile PoolMetrics poolMetrics;

    /**
     * @param startPath how a job's sandbox was had: {@code cold}, {@code warm} (from a pool) or
     *                  {@code restored} (from a snapshot); {@link #RECORDED_PATH} reads the job's timings
     */
    public HangarMetrics(JobStore store, NodeView nodeView, Clock clock, Function<Job, String> startPath) {
        this.nodeView = nodeView;
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);

        counts = new JobCounts(store, clock);
        for (JobState state : JobState.values()) {
            Gauge.builder("hangar.jobs", counts, c -> c.count(state))
                    .description("Jobs in the store by state")
                    .tag("state", state.name())
                    .strongReference(true)
                    .register(registry);
        }
        Gauge.builder("hangar.queue.depth", counts, c -> c.count(JobState.QUEUED))
                .description("Jobs waiting in the queue (QUEUED, backoffs included)")
                .strongReference(true)
                .register(registry);
        Gauge.builder("hangar.store.up", counts, JobCounts::storeUp)
                .description("1 if the last read of the job store for these metrics worked; 0 if it failed, the job"
                        + " counts then being as last read")
                .strongReference(true)
                .register(registry);
        Gauge.builder("hangar.queue.oldest.age", counts, JobCounts::oldestQueuedSeconds)
                .description("Seconds since the oldest QUEUED job was submitted; 0 when none waits")
                .baseUnit("seconds")
                .strongReference(true)
                .register(registry);

        for (boolean up : new boolean[] {true, false}) {
            // why those of nodes not up too: a node left asked while it is down comes back taking no job
            Gauge.builder("hangar.drain.asks", () -> drainAsks.get(up ? 0 : 1))
                    .description("Asks to drain kept, of nodes up (up=true) or not (up=false: each comes back drained)")
                    .tag("up", String.valueOf(up)).strongReference(true).register(registry);
        }
        attempts = new AttemptMetrics(registry, startPath);
        for (var runtime : nodeView.runtimes()) {
            if (runtime.probe().available()) {
                attempts.declare(runtime.name(), COLD);
            }
        }
        jobs = store.subscribe(new QueueListener() {
            @Override
            public void jobChanged(Job job) {
                attempts.jobChanged(job);
            }

            @Override
            public void changesMissed(String why) {
                attempts.changesMissed();
            }
        });
        // why watched first: a node that joins between the two is not missed; one already heard of
        // is not set back to what the older list said
        nodes = nodeView.watchNodes(this::nodeChanged);
        try {
            nodeView.nodes().forEach(this::nodeListed);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public HangarMetrics(JobStore store, NodeView nodeView) {
        this(store, nodeView, Clock.systemUTC(), RECORDED_PATH);
    }

    /** The registry, for more meters (e.g. of a cluster's node registry). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Hook: {@code hangar_sandboxes_running{node}}, the sandboxes the node's own agent runs now,
     * read from it rather than from its last heartbeat.
     */
    public synchronized void sandboxesRunning(String node, Supplier<Number> running) {
        nodesWithHook.add(node);
        List<Meter> byHeartbeat = nodeMeters.get(node);
        if (byHeartbeat != null) {
            java.util.function.Predicate<Meter> isRunning = meter -> meter.getId().getName().equals(SANDBOXES_RUNNING);
            byHeartbeat.stream().filter(isRunning).toList().forEach(registry::remove);
            byHeartbeat.removeIf(isRunning);
        }
        sandboxesRunningGauge(node, running);
    }

    private Gauge sandboxesRunningGauge(String node, Supplier<Number> running) {
        return Gauge.builder(SANDBOXES_RUNNING, running)
                .description("Sandboxes (job attempts) a node's agent runs now")
                .tag("node", node)
                .strongReference(true)
                .register(registry);
    }

    /** What the node's last heartbeat says it runs; NaN when it is not known now (gone, or the registry away). */
    private Number runningByHeartbeat(String node) {
        List<NodeInfo> listed = scrapedNodes;
        if (listed == null) {
            return Double.NaN;
        }
        return listed.stream().filter(n -> n.name().equals(node) && n.load() != null).findFirst()
                .<Number>map(n -> n.load().runningJobs()).orElse(Double.NaN);
    }

    /**
     * {@code hangar_pool_sandboxes{pool,runtime}}, the ready sandboxes a pool holds, from any source
     * ({@link #pools} registers it for every pool of a node).
     */
    public void poolSandboxes(String pool, String runtime, Supplier<Number> size) {
        Gauge.builder("hangar.pool.sandboxes", size)
                .description("Ready sandboxes a warm pool holds")
                .tags(Tags.of("pool", pool, "runtime", runtime))
                .strongReference(true)
                .register(registry);
    }

    /**
     * Hook for a node's warm pools: gauges and counters of every pool it has when scraped
     * ({@link PoolMetrics}), and the warm-path histograms of the runtimes that back them.
     */
    public void pools(PoolsView pools) {
        poolMetrics = new PoolMetrics(registry, pools);
        poolMetrics.refresh().forEach(runtime -> attempts.declare(runtime, "warm"));
    }

    /** Writes every metric in the Prometheus text format, reading the job counts first. */
    public void scrape(OutputStream out) throws IOException {
        refresh();
        registry.scrape(out);
    }

    public String scrape() {
        refresh();
        return registry.scrape();
    }

    private void refresh() {
        counts.refresh();
        try {
            scrapedNodes = List.copyOf(nodeView.nodes());
        } catch (RuntimeException e) { // the registry away: whether the nodes are there is not known now
            scrapedNodes = null;
        }
        try {
            var asks = nodeView.drainAsks();
            int up = (int) asks.stream().filter(dev.hangar.core.cluster.DrainAsk::up).count();
            drainAsks.set(0, up);
            drainAsks.set(1, asks.size() - up);
        } catch (RuntimeException e) { // the registry away: the pools' warning below says so; the last counts stay
            LOG.log(System.Logger.Level.DEBUG, "reading the asks to drain for /metrics failed: " + e.getMessage());
        }
        PoolMetrics pools = poolMetrics;
        if (pools != null) {
            try {
                pools.refresh().forEach(runtime -> attempts.declare(runtime, "warm"));
            } catch (RuntimeException e) { // a cluster's registry away: the rest of the scrape still answers
                LOG.log(System.Logger.Level.WARNING, "reading the pools for /metrics failed: " + e.getMessage());
            }
        }
    }

    /**
     * A node's figure as its last heartbeat said it, or NaN while the registry is out of reach: whether the node is
     * there is not known then, and a node that is down has no series.
     */
    private double whileKnown(double value) {
        return scrapedNodes != null ? value : Double.NaN;
    }

    private synchronized void nodeListed(NodeInfo node) {
        if (!heard.contains(node.name())) {
            nodeChanged(node);
        }
    }

    private synchronized void nodeChanged(NodeInfo node) {
        heard.add(node.name());
        List<Meter> old = nodeMeters.remove(node.name());
        if (old != null) {
            old.forEach(registry::remove);
        }
        if (node.state() != NodeInfo.State.JOINED) {
            return;
        }
        NodeInfo.Capacity capacity = node.capacity();
        var meters = new ArrayList<Meter>();
        meters.add(Gauge.builder("hangar.node.capacity.cpus", () -> whileKnown(capacity.cpus()))
                .description("CPUs jobs may reserve on the node (may exceed its cores)")
                .tag("node", node.name()).strongReference(true).register(registry));
        meters.add(Gauge.builder("hangar.node.capacity.memory", () -> whileKnown(capacity.memoryMb() * 1024.0 * 1024))
                .description("Memory jobs may reserve on the node")
                .baseUnit("bytes")
                .tag("node", node.name()).strongReference(true).register(registry));
        meters.add(Gauge.builder("hangar.node.capacity.gpus", () -> whileKnown(capacity.gpus()))
                .description("GPUs of the node")
                .tag("node", node.name()).strongReference(true).register(registry));
        // why a gauge: a node left drained after its maintenance takes no job, which nothing else shows
        int draining = node.drain() == null ? 0 : 1;
        meters.add(Gauge.builder("hangar.node.draining", () -> whileKnown(draining))
                .description("1 while the node is asked to drain: it takes no more jobs (drained once it runs none)")
                .tag("node", node.name()).strongReference(true).register(registry));
        // why a series per label, not a tag per label: every series of one metric must have the same tag
        // names, and each node's label names are its own
        node.labels().forEach((key, value) -> meters.add(Gauge.builder("hangar.node.label", () -> whileKnown(1))
                .description("1 for each label the node has now (its own, or those asked in their place)")
                .tags("node", node.name(), "key", key, "value", value).strongReference(true).register(registry)));
        if (!nodesWithHook.contains(node.name())) {
            // a cluster's server runs no agent: each node's heartbeat says what it runs
            meters.add(sandboxesRunningGauge(node.name(), () -> runningByHeartbeat(node.name())));
        }
        nodeMeters.put(node.name(), meters);
    }

    @Override
    public void close() {
        for (AutoCloseable subscription : new AutoCloseable[] {jobs, nodes}) {
            try {
                subscription.close();
            } catch (Exception e) {
                // nothing to undo
            }
        }
        gc.close();
        registry.close();
    }
}
