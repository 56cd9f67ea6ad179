package dev.hangar.cli;

import dev.hangar.server.ClusterNodes;
import dev.hangar.server.ClusterPools;
import dev.hangar.server.HangarServer;
import dev.hangar.server.QueueUpkeep;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hangar server --redis URL}: the API, events and dashboard of a cluster, with no agent of
 * its own: jobs go into the shared queue and run on whichever agent takes them.
 */
@Command(name = "server", description = "Run the API server of a cluster on a shared Redis queue (no agent in this process).")
final class ServerCommand implements Callable<Integer> {
    /** How often the server reclaims expired leases and takes in submissions written straight into Redis. */
    static final Duration UPKEEP_EVERY = Duration.ofMillis(500);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    TokensOption tokens;

    @Option(names = "--port", description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one)", defaultValue = "7070")
    int port;

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE})", defaultValue = "127.0.0.1")
    String host;

    @Override
    public Integer call() throws Exception {
        UpCommand.checkListen(host, port);
        var accepted = tokens.readFor(host);
        var queue = EmbeddedHangar.openQueue(cluster.queueLocation());
        var registry = queue.nodeRegistry().orElseThrow(() -> new IllegalArgumentException(
                "--redis: the queue at " + RedisLocations.shown(cluster.redis) + " keeps no node registry"));
        var nodes = new ClusterNodes(registry).start(EmbeddedHangar.NODE_POLL);
        var upkeep = new QueueUpkeep(queue, nodes::validate).start(UPKEEP_EVERY);
        var server = new HangarServer(queue, nodes, accepted, tokens.hostNamesFor(host)).start(host, port);
        server.servePools(new ClusterPools(nodes::statuses));
        System.out.println("Hangar server is up at " + UpCommand.url(host, server.port()) + " (queue " + RedisLocations.shown(cluster.redis) + ")");
        System.out.flush();
        UpCommand.awaitShutdown("hangar: stopping", () -> {
            server.close();
            upkeep.close();
            nodes.close();
            queue.close();
        });
        return 0;
    }
}
