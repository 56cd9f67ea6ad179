package dev.hangar.cli;

import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.json.Json;
import dev.hangar.core.pool.PoolStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "nodes", description = "List the nodes alive now: runtimes, capacity and load, last heartbeat.")
final class NodesCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        List<NodeInfo> nodes = client.client().nodes();
        if (client.json) {
            System.out.println(Json.write(nodes));
            return 0;
        }
        var out = new PrintWriter(System.out, true);
        Tables.print(out, List.of("NODE", "JOBS", "FREE CPUS", "FREE MEMORY", "FREE GPUS", "WARM", "RUNTIMES", "NETWORK",
                        "HEARTBEAT"),
                nodes.stream().map(NodesCommand::row).toList());
        if (!nodes.isEmpty()) {
            // why said: a node offers more CPUs than it has cores, which reads as a mistake unexplained
            out.println("CPUs are what jobs may reserve: by default " + dev.hangar.agent.AgentConfig.CPU_OVERCOMMIT
                    + " per core (CPU quotas share the cores); one job asks for a node's cores at most");
        }
        return 0;
    }

    private static List<String> row(NodeInfo node) {
        NodeInfo.Capacity total = node.capacity();
        NodeInfo.Load load = node.load();
        return List.of(node.name(), String.valueOf(load.runningJobs()),
                trim(load.freeCpus()) + "/" + trim(total.cpus()),
                load.freeMemoryMb() + "/" + total.memoryMb() + " MiB",
                load.freeGpus() + "/" + total.gpus(),
                String.valueOf(node.pools().stream().mapToInt(PoolStatus::ready).sum()),
                String.join(",", node.runtimes()),
                node.networkAllowed() ? "allowed" : "none",
                Tables.orDash(node.heartbeatAt()));
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
}
