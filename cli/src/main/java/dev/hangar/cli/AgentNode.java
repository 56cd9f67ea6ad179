package dev.hangar.cli;

import dev.hangar.agent.Agent;
import dev.hangar.agent.AgentConfig;
import dev.hangar.agent.NodeHeartbeat;
import dev.hangar.agent.NodeInstance;
import dev.hangar.agent.pool.ImageVersions;
import dev.hangar.core.image.Image;
import dev.hangar.core.image.ImageStore;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProvider;
import dev.hangar.images.LocalImageStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * An agent of this host with every runtime driver on the class path (or those named), taking jobs
 * from the queue; when the queue is shared by a cluster, it also heartbeats into the cluster's node
 * registry. The composition root of {@code hangar agent}, and the agent half of {@code hangar up}.
 */
final class AgentNode implements AutoCloseable {
    /** How long a node stays listed after its last heartbeat. */
    static final Duration HEARTBEAT_TTL = Duration.ofSeconds(10);

    private final Agent agent;
    private final ImageStore images;
    private final Optional<NodeHeartbeat> heartbeat;
    private final DataDirLock dataDir;

    private AgentNode(Agent agent, ImageStore images, Optional<NodeHeartbeat> heartbeat, DataDirLock dataDir) {
        this.agent = agent;
        this.images = images;
        this.heartbeat = heartbeat;
        this.dataDir = dataDir;
    }

    static AgentNode start(QueueBackend queue, Path dataDir, Path imagesDir, AgentConfig config) {
        return start(queue, dataDir, imagesDir, config, DataDirLock.take(dataDir));
    }

    /** As above, holding the data directory's {@code lock}, which it lets go of when it fails to start or closes. */
    static AgentNode start(QueueBackend queue, Path dataDir, Path imagesDir, AgentConfig config, DataDirLock lock) {
        try {
            return startHolding(queue, dataDir, imagesDir, config, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static AgentNode startHolding(QueueBackend queue, Path dataDir, Path imagesDir, AgentConfig config,
            DataDirLock lock) {
        var images = new LocalImageStore(imagesDir);
        sweepInTheBackground(images);
        for (var pool : config.pools().pools()) {
            // a pool of an image the node lacks would fail to fill, over and over
            if (pool.image() != null && !images.names().contains(pool.image())) {
                throw new IllegalArgumentException("--pool " + pool.name() + ": unknown image '" + pool.image()
                        + "'; known: " + String.join(", ", images.names()) + " (add one with 'hangar image import')");
            }
        }
        String instance = NodeInstance.of(dataDir);
        // why before the agent is made: its start, or its close after a failed start, gives back every job its name holds
        queue.nodeRegistry().ifPresent(registry ->
                NodeHeartbeat.claimName(registry, config.nodeName(), instance, Clock.systemUTC()));
        Agent agent = new Agent(config, queue, discoverRuntimes(dataDir, images, config.runtimes()), images::names,
                new StoredImageVersions(images));
        try {
            var heartbeat = queue.nodeRegistry().map(registry -> new NodeHeartbeat(registry, config.nodeName(),
                    instance, clock -> agent.status(clock.instant()), agent::drain, agent::relabel,
                    HEARTBEAT_TTL, Clock.systemUTC()));
            // why before it starts: a node drained for its maintenance and restarted would take a job at once,
            // and one relabelled would take a job by the labels it was started with
            heartbeat.ifPresent(NodeHeartbeat::tellAsks);
            agent.start();
            heartbeat.ifPresent(NodeHeartbeat::start);
            return new AgentNode(agent, images, heartbeat, lock);
        } catch (RuntimeException e) {
            agent.close();
            throw e;
        }
    }

    /** The versions of the node's images, as its image store has them. */
    private record StoredImageVersions(LocalImageStore images) implements ImageVersions {
        @Override
        public Optional<Instant> madeAt(String image) {
            return images.find(image == null ? ImageStore.DEFAULT_IMAGE : image).map(Image::createdAt);
        }

        @Override
        public boolean madeOnFirstUse(String image) {
            return images.madeOnFirstUse(image);
        }
    }

    /**
     * What a crashed image make or removal left, swept as the node starts, on a thread of its own:
     * it waits for the store's lock, which an image make in another process may hold for minutes.
     */
    private static void sweepInTheBackground(LocalImageStore images) {
        Thread.ofVirtual().name("image-sweep").start(() -> {
            try {
                images.sweep();
            } catch (java.io.IOException | RuntimeException e) {
                System.getLogger(AgentNode.class.getName()).log(System.Logger.Level.WARNING,
                        "could not sweep what an image make or removal left in " + images.root() + ": " + e.getMessage());
            }
        });
    }

    /** The names of the runtime drivers on the class path. */
    static Set<String> knownRuntimes() {
        return ServiceLoader.load(RuntimeProvider.class).stream().map(ServiceLoader.Provider::get)
                .map(RuntimeProvider::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** --runtimes, checked before anything is made: each name must be a driver's. */
    static void checkRuntimes(Set<String> enabled) {
        checkRuntimes("--runtimes", enabled);
    }

    static void checkRuntimes(String option, Set<String> enabled) {
        Set<String> known = knownRuntimes();
        for (String name : enabled) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException(option + ": unknown runtime '" + name + "'; known: " + known);
            }
        }
    }

    /** The drivers on the class path, or only those named (an unknown name is an error). */
    static List<dev.hangar.core.runtime.SandboxRuntime> discoverRuntimes(Path dataDir, ImageStore images, Set<String> enabled) {
        var context = new RuntimeContext(dataDir.resolve("runtimes"), images);
        List<RuntimeProvider> providers = ServiceLoader.load(RuntimeProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        checkRuntimes(enabled);
        return providers.stream()
                .filter(provider -> enabled.isEmpty() || enabled.contains(provider.name()))
                .map(provider -> provider.create(context))
                .toList();
    }

    Agent agent() {
        return agent;
    }

    ImageStore images() {
        return images;
    }

    /** One line per runtime: its name, and why not where it is unavailable. */
    String describeRuntimes() {
        return agent.runtimes().stream()
                .map(r -> r.name() + (r.probe().available() ? "" : " (unavailable: " + r.probe().reason() + ")"))
                .collect(Collectors.joining(", "));
    }

    /** Leaves the registry first, so no one waits on a node that is going, then stops the agent. */
    @Override
    public void close() {
        try {
            heartbeat.ifPresent(NodeHeartbeat::close);
            agent.close();
        } finally {
            dataDir.close();
        }
    }
}
