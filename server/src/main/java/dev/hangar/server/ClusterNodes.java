package dev.hangar.server;

import dev.hangar.core.cluster.DrainAsk;
import dev.hangar.core.cluster.LabelAsk;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobSpecValidator;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.RepeatedWarning;
import dev.hangar.core.runtime.RuntimeStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.time.Instant;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The nodes of a cluster as the server sees them, read from the node registry every poll: a node
 * whose heartbeat appears has JOINED, one whose heartbeat key expired is LOST. A job is accepted
 * when some node could run it: one of the nodes alive (or, while none is, of the last ones seen: a
 * submit waits in the queue for agents that are restarting). While the
 * registry cannot be read, the nodes last read are shown for a few polls, and then none: asking
 * for them fails as the queue does, rather than showing nodes that may be long gone.
 */
public final class ClusterNodes implements NodeView, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ClusterNodes.class.getName());

    private final NodeRegistry registry;
    private final NodeListeners listeners = new NodeListeners();
    private final RepeatedWarning reading = new RepeatedWarning(LOG, "reading the node registry");
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("cluster-nodes").factory());
    /**
     * What the last poll read, published at once: a submit that read the nodes up after a node was dropped and the
     * nodes lost before it was added would find it in neither.
     */
    private volatile Seen seen = new Seen(Map.of(), Map.of(), List.of(), Map.of());
    /** The nodes up as the last poll told its listeners of them (read and written by poll alone). */
    private Map<String, NodeInfo> told = Map.of();
    static final Duration LOST_GRACE = Duration.ofMinutes(10);
    private static final String NO_NODE_UP = "no node is up: no agent has sent a heartbeat for a while";
    private static final String DRAINING_ONLY = "only nodes asked to drain could run it, and they take no more jobs: ";

    private record Lost(NodeStatus status, long atNanos) {}

    /**
     * @param alive        the nodes up
     * @param drainAsked   the nodes asked to drain, up or not
     * @param lastSeen     the nodes up when some last were
     * @param recentlyLost nodes lost within {@link #LOST_GRACE}, with when (nanoTime): a job that only such a node can
     *                     run is still taken, as an agent that restarts (an upgrade) comes back with what it had
     */
    private record Seen(Map<String, NodeStatus> alive, Map<String, Instant> drainAsked, List<NodeStatus> lastSeen,
            Map<String, Lost> recentlyLost) {}
    private final LongSupplier nanoTime;
    private volatile long readAtNanos;
    /** For how many polls the nodes last read are shown while the registry cannot be read. */
    private static final int STALE_AFTER_POLLS = 5;
    private volatile Duration staleAfter = Duration.ofSeconds(STALE_AFTER_POLLS);

    public ClusterNodes(NodeRegistry registry) {
        this(registry, System::nanoTime);
    }

    ClusterNodes(NodeRegistry registry, LongSupplier nanoTime) {
        this.registry = registry;
        this.nanoTime = nanoTime;
        this.readAtNanos = nanoTime.getAsLong();
    }

    /** Reads the registry now, then every {@code every}. */
    public ClusterNodes start(Duration every) {
        staleAfter = every.multipliedBy(STALE_AFTER_POLLS);
        poll();
        poller.scheduleWithFixedDelay(this::pollQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    synchronized void poll() {
        var now = new LinkedHashMap<String, NodeStatus>();
        for (NodeStatus status : registry.nodes()) {
            now.put(status.name(), status);
        }
        Map<String, Instant> asked = registry.drainAsked();
        readAtNanos = nanoTime.getAsLong();
        Seen last = seen;
        Map<String, NodeStatus> before = last.alive();
        Map<String, NodeInfo> toldBefore = told;
        var lost = new LinkedHashMap<String, Lost>();
        last.recentlyLost().forEach((name, gone) -> {
            if (!now.containsKey(name) && readAtNanos - gone.atNanos() < LOST_GRACE.toNanos()) {
                lost.put(name, gone);
            }
        });
        before.values().stream().filter(n -> !now.containsKey(n.name()))
                .forEach(n -> lost.put(n.name(), new Lost(n, readAtNanos)));
        seen = new Seen(Map.copyOf(now), Map.copyOf(asked), now.isEmpty() ? last.lastSeen() : List.copyOf(now.values()),
                Map.copyOf(lost));
        // a node new, or come back within its heartbeat's life with other capacity or runtimes, or asked to
        // drain, drained or taken back from it: told as joined
        told = infos(now, asked);
        told.values().stream()
                .filter(info -> !toldBefore.containsKey(info.name()) || !sameShape(toldBefore.get(info.name()), info))
                .forEach(listeners::tell);
        before.values().stream().filter(n -> !now.containsKey(n.name()))
                .forEach(n -> listeners.tell(NodeInfo.of(n, NodeInfo.State.LOST, asked.get(n.name()))));
    }

    private static Map<String, NodeInfo> infos(Map<String, NodeStatus> nodes, Map<String, Instant> asked) {
        var infos = new LinkedHashMap<String, NodeInfo>();
        nodes.values().forEach(n -> infos.put(n.name(), NodeInfo.of(n, NodeInfo.State.JOINED, asked.get(n.name()))));
        return infos;
    }

    /** What a node's listeners are told of besides its coming and going: what it can run, whether it drains, its labels. */
    private static boolean sameShape(NodeInfo before, NodeInfo now) {
        return before.capacity().equals(now.capacity()) && before.runtimes().equals(now.runtimes())
                && before.networkAllowed().equals(now.networkAllowed()) && before.drain() == now.drain()
                && before.labels().equals(now.labels());
    }

    /** The node of that name that is up; refused (404) if none is: a name mistyped would be asked for ever. */
    private NodeStatus up(String nodeName) {
        Map<String, NodeStatus> alive = seen.alive();
        NodeStatus up = alive.get(nodeName);
        if (up == null) {
            throw new ApiException(404, "Not found", "no node named '" + nodeName + "' is up; nodes up: "
                    + (alive.isEmpty() ? "none" : String.join(", ", new TreeMap<>(alive).keySet())), List.of());
        }
        return up;
    }

    @Override
    public NodeInfo relabel(String nodeName, Map<String, String> labels) {
        readNow("before a relabel"); // a node up a moment ago is found, one gone a moment ago is not
        NodeStatus up = labels != null ? up(nodeName) : seen.alive().get(nodeName);
        registry.relabel(nodeName, labels);
        // as it stands: it takes the labels at its next heartbeat
        return up == null ? null : NodeInfo.of(up, NodeInfo.State.JOINED, seen.drainAsked().get(nodeName));
    }

    @Override
    public LabelAsk changeLabels(String nodeName, Map<String, String> set, java.util.Set<String> removed) {
        readNow("before a relabel");
        NodeStatus up = up(nodeName);
        try {
            // with no ask, from its own: those it shows may be the ones of an ask just dropped
            return new LabelAsk(nodeName, registry.changeLabels(nodeName, up.labelsOfItsOwn(), set, removed), true);
        } catch (IllegalArgumentException tooMany) {
            throw ApiException.badField("labels", "would leave the node " + tooMany.getMessage().replaceFirst("^labels: ", ""));
        }
    }

    /** Reads the nodes now rather than at the next poll; if that fails, what was read before stands. */
    private void readNow(String when) {
        try {
            poll();
        } catch (QueueException e) {
            LOG.log(System.Logger.Level.DEBUG, "reading the nodes " + when + " failed", e);
        }
    }

    @Override
    public NodeInfo drain(String nodeName, boolean drain) {
        NodeStatus up = drain ? up(nodeName) : seen.alive().get(nodeName);
        if (drain && up.draining() == null) {
            throw new ApiException(409, "Cannot drain", "node '" + nodeName + "' runs an agent older than draining, which"
                    + " would never take the ask: upgrade it, or stop it (it hands its jobs back as it stops)", List.of());
        }
        // to the millisecond, as the registry keeps it and agents name it back
        Instant at = drain ? Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS) : null;
        registry.drain(nodeName, at);
        // so that the answer, and the events, say so at once; the ask is stored (asking again keeps it)
        readNow("after a drain ask");
        Seen now = seen;
        NodeStatus status = now.alive().getOrDefault(nodeName, up); // a node that dropped out meanwhile: as it was
        Instant askedAt = drain ? now.drainAsked().getOrDefault(nodeName, at) : null;
        return status == null ? null : NodeInfo.of(status, NodeInfo.State.JOINED, askedAt);
    }

    /** The nodes up that take jobs: not asked to drain. */
    private static Map<String, NodeStatus> taking(Seen now) {
        var taking = new LinkedHashMap<>(now.alive());
        taking.keySet().removeAll(now.drainAsked().keySet());
        return taking;
    }

    /** Of the nodes up, those asked to drain that pass the test, sorted: named where only they could take a job. */
    private static String drainingThat(Seen now, java.util.function.Predicate<NodeStatus> test) {
        return now.alive().values().stream().filter(node -> now.drainAsked().containsKey(node.name()) && test.test(node))
                .map(NodeStatus::name).sorted().collect(java.util.stream.Collectors.joining(", "));
    }

    private void pollQuietly() {
        try {
            poll();
            reading.succeeded();
        } catch (RuntimeException | Error e) { // an Error too: a scheduled task that throws is never run again
            reading.failed("; keeping the nodes last seen", e);
        }
    }

    /**
     * Each runtime once: as a node that has it available reports it, else as any node reports it. Of
     * the nodes a submit is checked against ({@link #known}), so that an explain agrees with a submit;
     * fails as {@link #statuses} does once the registry has been out of reach a while.
     */
    @Override
    public List<RuntimeStatus> runtimes() {
        failIfStale();
        return runtimesOf(known());
    }

    /** As {@link #runtimes}, of the nodes that have the labels the job selects. */
    @Override
    public List<RuntimeStatus> runtimesFor(JobSpec spec) {
        failIfStale();
        return runtimesOf(known().stream().filter(node -> NodeLabels.matches(spec.nodeSelector(), node.labels())).toList());
    }

    private static List<RuntimeStatus> runtimesOf(List<NodeStatus> nodes) {
        var byName = new TreeMap<String, RuntimeStatus>();
        for (NodeStatus node : nodes) {
            for (RuntimeStatus runtime : node.runtimes()) {
                byName.merge(runtime.name(), runtime, (had, other) -> had.probe().available() ? had : other);
            }
        }
        return List.copyOf(byName.values());
    }

    @Override
    public Optional<String> runtimeWaitingFor(String runtime) {
        Seen now = seen;
        if (now.alive().isEmpty()) {
            return Optional.of(NO_NODE_UP);
        }
        if (taking(now).values().stream().anyMatch(node -> has(node, runtime))) {
            return Optional.empty();
        }
        String draining = drainingThat(now, node -> has(node, runtime));
        if (!draining.isEmpty()) {
            return Optional.of(DRAINING_ONLY + draining);
        }
        List<String> lost = now.recentlyLost().values().stream().map(Lost::status).filter(node -> has(node, runtime))
                .map(NodeStatus::name).sorted().toList();
        return Optional.of("no node that is up has it" + (lost.isEmpty() ? ""
                : "; nodes lost within " + LOST_GRACE.toMinutes() + " minutes had it: " + String.join(", ", lost)));
    }

    /** Whether the node can run the runtime's jobs, as {@link #misfits} counts it: available, or benched a while. */
    private static boolean has(NodeStatus node, String runtime) {
        return node.runtimes().stream().anyMatch(status -> status.name().equals(runtime)
                && (status.probe().available() || status.probe().benched()));
    }

    @Override
    public boolean anyNodeKnown() {
        return !known().isEmpty();
    }

    @Override
    public SpecLimits limits() {
        return limitsOfKnown(known());
    }

    private static SpecLimits limitsOfKnown(List<NodeStatus> nodes) {
        if (nodes.isEmpty()) {
            // no node has ever beaten: take the job's word for what it needs; an agent checks it when it leases. Its
            // mounts too, by name only (a path's shape is still checked): no root allowed at all refused every mount
            return SpecLimits.forNode(Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE, SpecLimits.RUNTIME_NAMES)
                    .withMountsByName(new MountPolicy(List.of(Path.of("/"))));
        }
        return limitsOf(nodes);
    }

    /**
     * Checked first against the widest of the nodes, one need at a time, so that a need no node
     * has is named plainly; then a job that passes must fit one node with all it asks for (GPUs on
     * one node and a network on another fit none; a network on Podman and a pin to the process
     * runtime neither), or else it would wait in the queue for ever. Both against the nodes as one poll read them.
     */
    @Override
    public JobSpec validate(JobSpec spec) {
        List<NodeStatus> nodes = known();
        JobSpec valid = new JobSpecValidator(limitsOfKnown(nodes)).validate(spec);
        if (nodes.isEmpty()) {
            return valid; // no node has beaten yet: the job's word is taken, and an agent checks it when it leases
        }
        List<FieldError> misfit = nearestMisfit(valid, nodes);
        if (!misfit.isEmpty()) {
            throw new InvalidSpecException(misfit);
        }
        return valid;
    }

    @Override
    public Optional<String> waitingFor(JobSpec spec) {
        Seen now = seen;
        if (now.alive().isEmpty()) {
            return Optional.of(now.lastSeen().isEmpty() ? "no node has joined: no agent sends heartbeats" : NO_NODE_UP);
        }
        Map<String, NodeStatus> taking = taking(now);
        List<FieldError> misfit = taking.isEmpty() ? List.of() : nearestMisfit(spec, List.copyOf(taking.values()));
        if (!taking.isEmpty() && misfit.isEmpty()) {
            return Optional.empty();
        }
        String draining = drainingThat(now, node -> misfits(spec, node).isEmpty());
        if (!draining.isEmpty()) {
            return Optional.of(DRAINING_ONLY + draining);
        }
        if (taking.isEmpty()) {
            return Optional.of("every node that is up is asked to drain and takes no more jobs");
        }
        return Optional.of(NodeView.noNodeCanRun(misfit));
    }

    /** Why the job fits none of the nodes, as the node it misses least says; none if one fits. */
    private static List<FieldError> nearestMisfit(JobSpec spec, List<NodeStatus> nodes) {
        String nearest = null;
        List<FieldError> nearestErrors = null;
        for (NodeStatus node : nodes.stream().sorted(Comparator.comparing(NodeStatus::name)).toList()) {
            List<FieldError> errors = misfits(spec, node);
            if (errors.isEmpty()) {
                return List.of();
            }
            if (nearestErrors == null || errors.size() < nearestErrors.size()) {
                nearest = node.name();
                nearestErrors = errors;
            }
        }
        String where = "no one node has all this job asks for; on node '" + nearest + "', the nearest fit: ";
        return nearestErrors.stream().map(error -> new FieldError(error.field(), where + error.reason())).toList();
    }

    /**
     * What keeps the job off this node: a bound of the node, or else the selection rules, which
     * must leave the job one of its runtimes. A runtime benched for a while after its sandboxes
     * failed counts as there: the job waits for it. One whose probe failed does not: it stays out
     * of service until its node restarts, and a job for it alone would wait for ever.
     */
    private static List<FieldError> misfits(JobSpec spec, NodeStatus node) {
        // the node's bounds alone: the spec was checked whole against the widest (at submit, or at intake)
        List<FieldError> errors = new JobSpecValidator(limitsOf(List.of(node))).nodeErrors(spec);
        if (!errors.isEmpty()) {
            return errors;
        }
        return NodeView.ruleMisfits(spec, node);
    }

    /**
     * The nodes alive (while none is, the ones last seen: a submit waits for agents that restart),
     * and those lost within {@link #LOST_GRACE}.
     */
    private List<NodeStatus> known() {
        Seen now = seen;
        var known = new LinkedHashMap<String, NodeStatus>();
        (now.alive().isEmpty() ? now.lastSeen() : now.alive().values()).forEach(node -> known.put(node.name(), node));
        now.recentlyLost().values().forEach(gone -> known.putIfAbsent(gone.status().name(), gone.status()));
        return List.copyOf(known.values());
    }

    /** The bounds of a job that these nodes could run, each bound the widest of theirs. */
    private static SpecLimits limitsOf(List<NodeStatus> nodes) {
        var runtimes = new HashSet<String>();
        var images = new HashSet<String>();
        var roots = new ArrayList<Path>();
        for (NodeStatus node : nodes) {
            node.runtimes().forEach(r -> runtimes.add(r.name()));
            images.addAll(node.images());
            roots.addAll(node.mounts().allowedRoots());
        }
        return SpecLimits.forNode(
                        nodes.stream().mapToDouble(NodeStatus::jobCpusBound).max().orElse(1),
                        nodes.stream().mapToLong(n -> n.capacity().memoryMb()).max().orElse(0),
                        nodes.stream().mapToInt(n -> n.capacity().gpus()).max().orElse(0),
                        runtimes)
                .withImages(images)
                .withMountsByName(new MountPolicy(roots.stream().distinct().toList()))
                .withNetworkAllowed(nodes.stream().anyMatch(NodeStatus::networkAllowed))
                .withNodeLabels(nodes.stream().map(NodeStatus::labels).toList());
    }

    @Override
    public List<NodeInfo> nodes() {
        failIfStale();
        Seen now = seen;
        return sorted(now.alive()).stream().map(n -> NodeInfo.of(n, NodeInfo.State.JOINED, now.drainAsked().get(n.name())))
                .toList();
    }

    @Override
    public List<DrainAsk> drainAsks() {
        failIfStale();
        Seen now = seen;
        Map<String, NodeStatus> up = now.alive();
        return new TreeMap<>(now.drainAsked()).entrySet().stream()
                .map(ask -> new DrainAsk(ask.getKey(), ask.getValue(), up.containsKey(ask.getKey()))).toList();
    }

    @Override
    public List<LabelAsk> labelAsks() {
        Map<String, NodeStatus> up = seen.alive();
        return new TreeMap<>(registry.labelsAsked()).entrySet().stream()
                .map(ask -> new LabelAsk(ask.getKey(), ask.getValue(), up.containsKey(ask.getKey()))).toList();
    }

    /** The last heartbeats of the nodes joined now, by name; fails as the queue does if the registry has been out of reach a while. */
    public List<NodeStatus> statuses() {
        failIfStale();
        return sorted(seen.alive());
    }

    private static List<NodeStatus> sorted(Map<String, NodeStatus> nodes) {
        return nodes.values().stream().sorted(Comparator.comparing(NodeStatus::name)).toList();
    }

    /** Rather than show nodes that may be long gone: the registry has been out of reach a while. */
    private void failIfStale() {
        long unread = nanoTime.getAsLong() - readAtNanos;
        if (unread > staleAfter.toNanos()) {
            throw new QueueException("the node registry could not be read for " + Duration.ofNanos(unread).toSeconds()
                    + " s: the queue is out of reach", null);
        }
    }

    @Override
    public AutoCloseable watchNodes(Consumer<NodeInfo> listener) {
        return listeners.add(listener);
    }


    @Override
    public void close() {
        poller.shutdownNow();
    }
}
