package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import dev.hangar.core.job.MountPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How a node started by this command runs: where it keeps data, what it allows. */
final class NodeOptions {
    @Option(names = "--data-dir", description = "Where the node keeps its store (default: $HANGAR_HOME, else ~/.hangar)")
    Path dataDir;

    @Option(names = "--node-name", description = "This node's name (default: the host name)")
    String nodeName;

    @Option(names = "--allow-network", description = "Let jobs that ask for a network have one")
    boolean allowNetwork;

    @Option(names = "--allow-mount", paramLabel = "PATH",
            description = "Let jobs mount host paths under PATH (repeatable; none by default)")
    List<Path> allowedMounts = new ArrayList<>();

    @Option(names = "--runtimes", split = ",", paramLabel = "NAME", description = "Runtimes this node runs (default: every one found)")
    Set<String> runtimes = new java.util.TreeSet<>();

    @Option(names = "--max-jobs", description = "Jobs running at once on this node (default: ${DEFAULT-VALUE})", defaultValue = "64")
    int maxJobs;

    @Option(names = "--lease-seconds", description = "How long a job lease lasts without renewal (default: ${DEFAULT-VALUE})",
            defaultValue = "30")
    int leaseSeconds;

    Path dataDir() {
        if (dataDir != null) {
            return dataDir;
        }
        String home = System.getenv("HANGAR_HOME");
        return home != null ? Path.of(home) : Path.of(System.getProperty("user.home"), ".hangar");
    }

    AgentConfig agentConfig() {
        if (leaseSeconds < 3) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--lease-seconds must be at least 3, got " + leaseSeconds);
        }
        return AgentConfig.forThisHost(nodeName != null ? nodeName : hostName())
                .withNetworkAllowed(allowNetwork)
                .withMounts(new MountPolicy(allowedMounts))
                .withRuntimes(runtimes)
                .withMaxJobs(maxJobs)
                .withLeaseFor(Duration.ofSeconds(leaseSeconds));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
