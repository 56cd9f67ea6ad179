package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import dev.hangar.agent.HostMemory;
import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.core.cluster.NodeName;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.job.MountPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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

    @Option(names = "--cpus", paramLabel = "N", description = "CPUs jobs may reserve on this node in all (default and most: "
            + AgentConfig.CPU_OVERCOMMIT + " per core; quotas share the cores)")
    Double cpus;

    // why %%: picocli formats descriptions, and a lone % made it warn three times over each --help
    @Option(names = "--memory-mb", paramLabel = "MB", description = "Memory jobs may reserve on this node in all; the rest is"
            + " left to the system and to Hangar itself (default: the host's less a reserve of 25%% of its first 4 GiB,"
            + " 20%% of the next 4, 10%% of the next 8, 6%% of the next 112 and 2%% of the rest; at most all of it)")
    Long memoryMb;

    @Option(names = "--gpus", split = ",", paramLabel = "N", description = "The GPUs jobs may be given, by the N of their"
            + " /dev/nvidiaN (nvidia-smi's minor_number, not always its index), e.g. 0,1, or none (default: every one found)")
    List<String> gpus;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label of this node, by which jobs select nodes"
            + " (their nodeSelector, hangar run --node-selector), e.g. gpu-model=a100 (repeatable)")
    List<String> labels = new ArrayList<>();

    @Option(names = "--max-jobs", description = "Jobs running at once on this node (default: ${DEFAULT-VALUE})", defaultValue = "64")
    int maxJobs;

    @Option(names = "--lease-seconds", description = "How long a job lease lasts without renewal (default: ${DEFAULT-VALUE})",
            defaultValue = "30")
    int leaseSeconds;

    @Option(names = "--create-timeout-seconds", paramLabel = "S", description = "How long making a job's sandbox may take;"
            + " past it the job goes back to the queue and the runtime counts a failure (default: ${DEFAULT-VALUE})",
            defaultValue = "300")
    int createTimeoutSeconds;

    @Option(names = "--pool", paramLabel = "SPEC", description = "Keep a warm pool (repeatable), e.g. "
            + "runtime=process,image=busybox,cpus=1,memoryMb=256,min=2,max=8 (also name=, idleSeconds=, and "
            + "snapshot=true or prepare=SHELL-COMMAND-WITHOUT-COMMAS to restore sandboxes from a prepared template)")
    List<String> pools = new ArrayList<>();

    @Option(names = "--pool-memory-mb", paramLabel = "MB",
            description = "Memory all warm pools of this node may hold together (default: a quarter of the node's)")
    Long poolMemoryMb;

    Path dataDir() {
        if (dataDir != null) {
            return dataDir;
        }
        String home = System.getenv("HANGAR_HOME");
        // why blank as unset: HANGAR_HOME= would make the node's store the current directory
        return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".hangar");
    }

    /** {@link #dataDir()}, made if missing; refused, naming the option, if the node could not keep its store there. */
    Path usableDataDir() {
        return usableDataDir(dataDir());
    }

    static Path usableDataDir(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--data-dir " + dir + " is a file, not a directory");
        }
        try {
            if (!Files.exists(dir)) {
                // its own only: its store holds every job's environment and input, secrets among them
                Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--data-dir " + dir + ": cannot make the directory (" + why(e) + ")", e);
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("--data-dir " + dir + ": the directory is not writable");
        }
        return dir;
    }

    static String why(IOException e) {
        return switch (e) {
            case NoSuchFileException missing -> "no such file or directory: " + missing.getFile();
            case AccessDeniedException denied -> "permission denied: " + denied.getFile();
            case FileAlreadyExistsException inTheWay -> "a file is in the way: " + inTheWay.getFile();
            case FileSystemException other when other.getReason() != null -> other.getReason() + ": " + other.getFile();
            default -> e.toString();
        };
    }

    /** The options checked as a user gave them, each named: before anything is made or opened. */
    AgentConfig agentConfig() {
        if (leaseSeconds < 3 || leaseSeconds > 86_400) {
            throw new IllegalArgumentException("--lease-seconds must be from 3 to 86400 (a day), got " + leaseSeconds);
        }
        if (createTimeoutSeconds < 1 || createTimeoutSeconds > 86_400) {
            throw new IllegalArgumentException("--create-timeout-seconds must be from 1 to 86400 (a day), got "
                    + createTimeoutSeconds);
        }
        if (maxJobs < 1 || maxJobs > 4096) {
            throw new IllegalArgumentException("--max-jobs must be from 1 to 4096, got " + maxJobs);
        }
        if (nodeName != null && nodeName.isBlank()) {
            throw new IllegalArgumentException("--node-name must not be blank (leave it out for the host name)");
        }
        if (nodeName != null && !NodeName.valid(nodeName)) {
            throw new IllegalArgumentException("--node-name " + NodeName.RULE + "; got '" + nodeName + "'");
        }
        AgentNode.checkRuntimes(runtimes);
        for (Path root : allowedMounts) {
            if (!root.isAbsolute()) {
                throw new IllegalArgumentException("--allow-mount must be an absolute path, got '" + root + "'");
            }
            if (!java.nio.file.Files.isDirectory(root)) {
                throw new IllegalArgumentException("--allow-mount " + root + " is not a directory on this host");
            }
        }
        return capacityOn(AgentConfig.forThisHost(nodeName != null ? nodeName : hostName()), HostMemory.totalMb())
                .withNetworkAllowed(allowNetwork)
                .withMounts(MountPolicy.onThisHost(allowedMounts))
                .withRuntimes(runtimes)
                .withMaxJobs(maxJobs)
                .withLeaseFor(Duration.ofSeconds(leaseSeconds))
                .withCreateTimeout(Duration.ofSeconds(createTimeoutSeconds))
                .withPools(poolConfig())
                .withLabels(NodeLabels.parseAll("--label", labels));
    }

    /**
     * The host's config with what --cpus, --memory-mb and --gpus leave to jobs instead of its defaults: no
     * more than the host has (a job would be given what is not there), all of its {@code hostMemoryMb} at most.
     */
    AgentConfig capacityOn(AgentConfig host, long hostMemoryMb) {
        if (cpus != null && !(cpus >= 0.01 && cpus <= host.cpus())) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "--cpus must be from 0.01 to %s (%d per core"
                    + " of this host), got %s", Tables.trim(host.cpus()), AgentConfig.CPU_OVERCOMMIT, Tables.trim(cpus)));
        }
        if (memoryMb != null && (memoryMb < MIN_MEMORY_MB || memoryMb > hostMemoryMb)) {
            throw new IllegalArgumentException("--memory-mb must be from " + MIN_MEMORY_MB + " to " + hostMemoryMb
                    + " (this host's memory), got " + memoryMb);
        }
        return host.withCapacity(cpus == null ? host.cpus() : cpus,
                memoryMb == null ? host.memoryMb() : memoryMb,
                gpus == null ? host.gpus() : givenGpus(host.gpus()));
    }

    /** Jobs' smallest memory is 8 MiB; a node that offers less than a few of them is a mistake. */
    private static final long MIN_MEMORY_MB = 64;

    private List<String> givenGpus(List<String> found) {
        List<String> named = gpus.stream().map(String::strip).toList();
        if (named.stream().anyMatch("none"::equalsIgnoreCase)) {
            if (named.size() > 1) {
                throw new IllegalArgumentException("--gpus " + String.join(",", gpus) + ": none, or GPUs by index, not both");
            }
            return List.of();
        }
        var given = new java.util.LinkedHashSet<String>();
        for (String index : named) {
            if (!found.contains(index)) {
                throw new IllegalArgumentException("--gpus " + String.join(",", gpus) + ": no GPU '" + index + "'"
                        + " on this host; " + (found.isEmpty() ? "it has none (nvidia-smi lists none, and there is no"
                        + " /dev/nvidiaN)" : "its GPUs: " + String.join(", ", found)) + "; or give none");
            }
            given.add(index);
        }
        return List.copyOf(given);
    }

    /** The pools of --pool, each read and typed here; ranges and runtimes are checked when the agent starts. */
    PoolConfig poolConfig() {
        if (poolMemoryMb != null && poolMemoryMb < 1) {
            throw new IllegalArgumentException("--pool-memory-mb must be at least 1, got " + poolMemoryMb);
        }
        List<PoolSpec> specs = pools.stream().map(text -> PoolOption.parse("--pool", text)).toList();
        Set<String> drivers = AgentNode.knownRuntimes();
        for (int i = 0; i < specs.size(); i++) {
            // ranges and the runtime's name now, before anything is made; whether the runtime can back a
            // pool on this host is known once it is probed, so an unknown name is not told "cannot back a pool"
            String runtime = specs.get(i).runtime();
            if (runtime != null && !runtime.isBlank() && !drivers.contains(runtime)) {
                throw new IllegalArgumentException("--pool " + pools.get(i) + ": runtime '" + runtime
                        + "' is not a runtime this Hangar has; runtimes: " + String.join(", ", drivers));
            }
            var errors = specs.get(i).errors(drivers);
            if (!errors.isEmpty()) {
                throw new IllegalArgumentException("--pool " + pools.get(i) + ": " + errors.stream()
                        .map(error -> error.field() + " " + error.reason()).collect(java.util.stream.Collectors.joining("; ")));
            }
        }
        return PoolConfig.of(specs, poolMemoryMb == null ? 0 : poolMemoryMb);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
