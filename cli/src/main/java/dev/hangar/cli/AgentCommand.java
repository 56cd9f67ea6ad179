package dev.hangar.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code hangar agent --redis URL}: one node of a cluster. It probes its runtimes, heartbeats into
 * the registry, and takes from the shared queue only the jobs it has the runtime and room for.
 */
@Command(name = "agent", description = "Run an agent of a cluster: take jobs from a shared Redis queue and run them here.")
final class AgentCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    NodeOptions node;

    @Override
    public Integer call() throws Exception {
        var config = node.agentConfig();
        Path dataDir = node.usableDataDir();
        var queue = EmbeddedHangar.openQueue(cluster.queueLocation());
        AgentNode agent;
        try (var progress = new Progress(System.err, () -> "starting: probing runtimes")) {
            agent = AgentNode.start(queue, dataDir, dataDir.resolve("images"), config);
        } catch (RuntimeException e) {
            queue.close();
            throw e;
        }
        System.out.println("Hangar agent " + config.nodeName() + " is up (queue " + RedisLocations.shown(cluster.redis) + ")");
        System.out.println("runtimes: " + agent.describeRuntimes());
        System.out.flush();
        UpCommand.awaitShutdown(UpCommand.STOPPING_NODE, () -> {
            agent.close();
            queue.close();
        });
        return 0;
    }
}
