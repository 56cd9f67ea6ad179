package dev.hangar.cli;

import dev.hangar.agent.Agent;
import dev.hangar.agent.AgentConfig;
import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.image.ImageStore;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueBackendProvider;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProvider;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.images.LocalImageStore;
import dev.hangar.server.HangarServer;
import dev.hangar.server.LocalNode;
import dev.hangar.server.NodeInfo;
import dev.hangar.server.NodeView;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.ServiceLoader;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * One node in one JVM: the embedded queue, an agent with every runtime driver on the class path,
 * and the REST server. The composition root of {@code hangar up}.
 */
public final class EmbeddedHangar implements AutoCloseable {
    private final QueueBackend queue;
    private final Agent agent;
    private final LocalNode node;
    private final HangarServer server;

    private EmbeddedHangar(QueueBackend queue, Agent agent, LocalNode node, HangarServer server) {
        this.queue = queue;
        this.agent = agent;
        this.node = node;
        this.server = server;
    }

    /** Starts everything; port 0 picks a free port. */
    public static EmbeddedHangar start(Path dataDir, String host, int port, AgentConfig config) throws IOException {
        return start(dataDir, dataDir.resolve("images"), host, port, config);
    }

    /** As {@link #start(Path, String, int, AgentConfig)}, with the images kept elsewhere (e.g. a node's own). */
    public static EmbeddedHangar start(Path dataDir, Path imagesDir, String host, int port, AgentConfig config)
            throws IOException {
        Files.createDirectories(dataDir);
        QueueBackend queue = openQueue(URI.create("sqlite:" + dataDir.resolve("hangar.db").toAbsolutePath()));
        try {
            var images = new LocalImageStore(imagesDir);
            Agent agent = new Agent(config, queue, discoverRuntimes(dataDir, images, config.runtimes())).start();
            var node = new LocalNode(() -> describe(agent));
            var server = new HangarServer(queue, nodeView(agent, images, node)).start(host, port);
            server.metrics().sandboxesRunning(agent.nodeName(), agent::runningJobs);
            node.join();
            return new EmbeddedHangar(queue, agent, node, server);
        } catch (RuntimeException e) {
            queue.close();
            throw e;
        }
    }

    static QueueBackend openQueue(URI location) {
        for (QueueBackendProvider provider : ServiceLoader.load(QueueBackendProvider.class)) {
            if (provider.scheme().equals(location.getScheme())) {
                return provider.open(location, Clock.systemUTC());
            }
        }
        throw new IllegalArgumentException("no queue backend for '" + location.getScheme() + ":' on the class path");
    }

    /** The drivers on the class path, or only those named (an unknown name is an error). */
    static List<SandboxRuntime> discoverRuntimes(Path dataDir, ImageStore images, Set<String> enabled) {
        var context = new RuntimeContext(dataDir.resolve("runtimes"), images);
        List<RuntimeProvider> providers = ServiceLoader.load(RuntimeProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        Set<String> known = providers.stream().map(RuntimeProvider::name).collect(Collectors.toCollection(java.util.TreeSet::new));
        for (String name : enabled) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("--runtimes: unknown runtime '" + name + "'; known: " + known);
            }
        }
        return providers.stream()
                .filter(provider -> enabled.isEmpty() || enabled.contains(provider.name()))
                .map(provider -> provider.create(context))
                .toList();
    }

    /** The local node as events, /v1/nodes and the metrics show it: what jobs may reserve, and the runtimes found. */
    private static NodeInfo describe(Agent agent) {
        AgentConfig config = agent.config();
        return new NodeInfo(agent.nodeName(), NodeInfo.State.JOINED,
                new NodeInfo.Capacity(config.cpus(), config.memoryMb(), config.gpus().size()),
                agent.runtimes().stream().filter(status -> status.probe().available()).map(RuntimeStatus::name).toList());
    }

    private static NodeView nodeView(Agent agent, ImageStore images, LocalNode node) {
        int cores = Runtime.getRuntime().availableProcessors();
        var limits = SpecLimits.forNode(cores, agent.config().memoryMb(), agent.config().gpus().size(),
                agent.runtimes().stream().map(RuntimeStatus::name).collect(Collectors.toSet()))
                .withMounts(agent.config().mounts());
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
        return agent;
    }

    public QueueBackend queue() {
        return queue;
    }

    /** Says the node is lost, stops taking jobs, hands running ones back to the queue, then stops serving. */
    @Override
    public void close() {
        node.leave();
        agent.close();
        server.close();
        queue.close();
    }
}
