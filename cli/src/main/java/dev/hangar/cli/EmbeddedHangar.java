package dev.hangar.cli;

import dev.hangar.agent.Agent;
import dev.hangar.agent.AgentConfig;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.image.ImageStore;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobSpecValidator;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.queue.redis.RedisQueueBackend;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.core.queue.QueueBackendProvider;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.server.ClusterNodes;
import dev.hangar.server.ClusterPools;
import dev.hangar.server.HangarServer;
import dev.hangar.server.LocalNode;
import dev.hangar.server.NodeView;
import dev.hangar.server.QueueUpkeep;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import dev.hangar.server.auth.TokenLookup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A server and an agent in one JVM: the composition root of {@code hangar up}. The queue is the
 * embedded SQLite store of the data directory, or a shared one (Redis) when the node joins a
 * cluster; then the server lists every node of the cluster, not only this one.
 */
public final class EmbeddedHangar implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EmbeddedHangar.class.getName());
    /** How often a cluster server reads the node registry. */
    static final Duration NODE_POLL = Duration.ofSeconds(1);

    private final QueueBackend queue;
    private final AgentNode agentNode;
    private final LocalNode node;
    private final AutoCloseable nodeView;
    private final HangarServer server;

    private EmbeddedHangar(QueueBackend queue, AgentNode agentNode, LocalNode node, AutoCloseable nodeView,
            HangarServer server) {
        this.queue = queue;
        this.agentNode = agentNode;
        this.node = node;
        this.nodeView = nodeView;
        this.server = server;
    }

    /** The data directory's own store, with a query ({@code retention=...}) or none; any path, spaces and all. */
    static URI sqliteStore(Path dataDir, String query) {
        // why the file URI's path: it quotes what a URI may not hold and what it would read as its own ('?', '#', '%')
        String path = dataDir.resolve("hangar.db").toAbsolutePath().toUri().getRawPath();
        return URI.create("sqlite:" + path + (query == null ? "" : "?" + query));
    }

    /** Starts everything on the data directory's own store; port 0 picks a free port. */
    public static EmbeddedHangar start(Path dataDir, String host, int port, AgentConfig config) throws IOException {
        return start(dataDir, dataDir.resolve("images"), host, port, config);
    }

    /** As {@link #start(Path, String, int, AgentConfig)}, with the images kept elsewhere (e.g. a node's own). */
    public static EmbeddedHangar start(Path dataDir, Path imagesDir, String host, int port, AgentConfig config)
            throws IOException {
        return start(null, dataDir, imagesDir, host, port, config, Optional.empty(), List.of());
    }

    /**
     * As above, on the queue at {@code queueLocation} (null: the data directory's SQLite store), with
     * the server accepting these API tokens (empty: none needed).
     */
    public static EmbeddedHangar start(URI queueLocation, Path dataDir, Path imagesDir, String host, int port,
            AgentConfig config, Optional<? extends TokenLookup> tokens) throws IOException {
        return start(queueLocation, dataDir, imagesDir, host, port, config, tokens, List.of());
    }

    /** As above, the server answering to these names beside its own when it needs no tokens. */
    public static EmbeddedHangar start(URI queueLocation, Path dataDir, Path imagesDir, String host, int port,
            AgentConfig config, Optional<? extends TokenLookup> tokens, List<String> hostNames) throws IOException {
        NodeOptions.usableDataDir(dataDir);
        // why before the store is opened: a newer Hangar started on the directory of a node that runs migrated
        // that node's store under it, and only then found the directory in use
        DataDirLock lock = DataDirLock.take(dataDir);
        QueueBackend queue;
        try {
            queue = openQueue(queueLocation != null ? queueLocation : sqliteStore(dataDir, null));
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        if (queue instanceof SqliteQueueBackend own) {
            // the data directory's own store (one node keeps no other), which the lock keeps to this process: every
            // lease in it is a run of the node's last process, whatever name it had
            try {
                int given = own.releaseEveryLease();
                if (given > 0) {
                    LOG.log(System.Logger.Level.INFO, "gave back {0} job(s) this node held before it started again", given);
                }
            } catch (RuntimeException e) {
                queue.close();
                lock.close();
                throw e;
            }
        }
        AgentNode agentNode = null;
        AutoCloseable viewHandle = null;
        HangarServer server = null;
        try {
            agentNode = AgentNode.start(queue, dataDir, imagesDir, config, lock);
            Agent agent = agentNode.agent();
            LocalNode node = new LocalNode(() -> describe(agent));
            NodeView view;
            PoolsView counted = agent.pools();
            if (queue.nodeRegistry().isPresent()) {
                var cluster = new ClusterNodes(queue.nodeRegistry().get()).start(NODE_POLL);
                counted = new ClusterPools(cluster::statuses); // the metrics count the cluster's, as a server's do
                var upkeep = new QueueUpkeep(queue, cluster::validate).start(ServerCommand.UPKEEP_EVERY);
                view = cluster;
                viewHandle = () -> {
                    upkeep.close();
                    cluster.close();
                };
            } else {
                view = localView(agent, agentNode.images(), node);
                // the retention: final jobs whose time is up are deleted (the agent takes back expired leases itself)
                var upkeep = new QueueUpkeep(queue, spec -> spec).start(ServerCommand.UPKEEP_EVERY);
                viewHandle = upkeep::close;
            }
            server = new HangarServer(queue, view, tokens, hostNames).start(host, port);
            server.metrics().sandboxesRunning(agent.nodeName(), agent::runningJobs);
            server.servePools(agent.pools(), agentNode.images()::names, counted);
            node.join();
            return new EmbeddedHangar(queue, agentNode, node, viewHandle, server);
        } catch (RuntimeException e) {
            // why each: the upkeep went on failing against the closed queue every half second, in an embedder's JVM
            if (server != null) {
                server.close();
            }
            if (viewHandle != null) {
                try {
                    viewHandle.close();
                } catch (Exception closing) {
                    e.addSuppressed(closing);
                }
            }
            if (agentNode != null) {
                agentNode.close();
            }
            queue.close();
            throw e;
        }
    }

    static QueueBackend openQueue(URI location) {
        var schemes = new java.util.TreeSet<String>();
        for (QueueBackendProvider provider : ServiceLoader.load(QueueBackendProvider.class)) {
            if (location.getScheme() != null && provider.schemes().contains(location.getScheme())) {
                return provider.open(location, Clock.systemUTC());
            }
            schemes.addAll(provider.schemes());
        }
        throw new IllegalArgumentException("no queue backend for " + (location.getScheme() == null ? "a location without a"
                + " scheme ('" + RedisQueueBackend.shown(location) + "')" : "'" + location.getScheme() + ":'")
                + "; known schemes: " + String.join(", ", schemes) + " (e.g. sqlite:/path/to/queue.db,"
                + " redis://127.0.0.1:6379/?prefix=NAME)");
    }

    /**
     * The local node as events, /v1/nodes and the metrics show it: as a heartbeat of it would say now,
     * without a heartbeat's time, as one-JVM mode's node sends none (and so cannot be drained).
     */
    private static NodeInfo describe(Agent agent) {
        return NodeInfo.of(agent.status(null), NodeInfo.State.JOINED);
    }

    private static NodeView localView(Agent agent, ImageStore images, LocalNode node) {
        // why the lesser: a lease never gives a job more CPUs than the node lets jobs reserve (--cpus)
        double cpus = Math.min(Runtime.getRuntime().availableProcessors(), agent.config().cpus());
        var limits = SpecLimits.forNode(cpus, agent.config().memoryMb(), agent.config().gpus().size(),
                agent.runtimes().stream().map(RuntimeStatus::name).collect(Collectors.toSet()))
                .withMounts(agent.config().mounts())
                .withNetworkAllowed(agent.config().networkAllowed())
                .withNodeLabels(List.of(agent.labels()));
        var room = new JobSpecValidator(limits);
        return new NodeView() {
            @Override
            public List<RuntimeStatus> runtimes() {
                return agent.runtimes();
            }

            @Override
            public SpecLimits limits() {
                // why: images may be imported while the node runs
                return limits.withImages(images.names());
            }

            /** As a cluster's server does: a job the rules leave no runtime on this node would only fail. */
            @Override
            public JobSpec validate(JobSpec spec) {
                JobSpec valid = validateFields(spec);
                List<FieldError> misfits = NodeView.ruleMisfits(valid, agent.status(Instant.now()));
                if (!misfits.isEmpty()) {
                    throw new InvalidSpecException(misfits);
                }
                return valid;
            }

            /**
             * A job queued for what this node had before a restart without it waits for a node that has it: labels,
             * or room (fewer CPUs, less memory, GPUs the driver no longer shows), which no lease here would give it.
             */
            @Override
            public java.util.Optional<String> waitingFor(JobSpec spec) {
                // why these alone: a job the node lacks a runtime, image, mount or network for is leased and refused
                var misfit = new java.util.ArrayList<>(NodeLabels.unmatched(spec.nodeSelector(), List.of(agent.labels())));
                misfit.addAll(room.resourceErrors(spec));
                return misfit.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(NodeView.noNodeCanRun(misfit));
            }

            @Override
            public List<NodeInfo> nodes() {
                return node.nodes();
            }

            @Override
            public AutoCloseable watchNodes(Consumer<NodeInfo> listener) {
                return node.watch(listener);
            }
        };
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    public int port() {
        return server.port();
    }

    public Agent agent() {
        return agentNode.agent();
    }

    String describeRuntimes() {
        return agentNode.describeRuntimes();
    }

    public QueueBackend queue() {
        return queue;
    }

    /** Says the node is lost, stops taking jobs, hands running ones back to the queue, then stops serving. */
    @Override
    public void close() {
        node.leave();
        agentNode.close();
        try {
            nodeView.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the node view failed", e);
        }
        server.close();
        queue.close();
    }
}
