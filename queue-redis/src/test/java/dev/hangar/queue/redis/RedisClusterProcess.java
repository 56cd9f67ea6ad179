package dev.hangar.queue.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/**
 * A real Redis Cluster for tests: masters, and replicas if asked, each a {@link RedisServerProcess} on
 * a free loopback port, joined with {@code redis-cli --cluster create}, so the slots are spread over
 * the masters. Skipped, saying why, where redis-server is not installed.
 */
public final class RedisClusterProcess implements AutoCloseable {
    private final List<RedisServerProcess> nodes;

    private RedisClusterProcess(List<RedisServerProcess> nodes) {
        this.nodes = nodes;
    }

    public static RedisClusterProcess start(int masters) {
        return start(masters, 0, false);
    }

    /** A cluster of this many masters, each with this many replicas; with {@code appendOnly}, see {@link RedisServerProcess#start(boolean)}. */
    public static RedisClusterProcess start(int masters, int replicasEach, boolean appendOnly) {
        return start(masters, replicasEach, () -> RedisServerProcess.clusterNode(appendOnly));
    }

    /** A cluster of this many masters whose nodes speak TLS too, to clients and on the cluster bus, showing {@code server}. */
    static RedisClusterProcess startWithTls(int masters, TestCertificates.Pair server, Path ca) {
        return start(masters, 0, () -> RedisServerProcess.clusterNodeWithTls(server, ca));
    }

    private static RedisClusterProcess start(int masters, int replicasEach, java.util.function.Supplier<RedisServerProcess> newNode) {
        List<RedisServerProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < masters * (1 + replicasEach); i++) {
                nodes.add(newNode.get());
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            nodes.forEach(node -> create.add("127.0.0.1:" + node.port()));
            create.addAll(List.of("--cluster-replicas", String.valueOf(replicasEach), "--cluster-yes"));
            run(create);
            RedisClusterProcess cluster = new RedisClusterProcess(nodes);
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                    nodes.stream().allMatch(node -> node.cli("CLUSTER", "INFO").contains("cluster_state:ok")
                            && replicasSeenBy(node) == masters * replicasEach));
            return cluster;
        } catch (RuntimeException e) {
            nodes.forEach(RedisServerProcess::close);
            throw e;
        }
    }

    /** {@code redis-cluster://127.0.0.1:P1,127.0.0.1:P2,...}, plus the query if not null. */
    public URI uri(String query) {
        return URI.create("redis-cluster://" + nodes.stream().map(node -> "127.0.0.1:" + node.port())
                .collect(Collectors.joining(",")) + "/" + (query == null ? "" : "?" + query));
    }

    /** {@code rediss-cluster://127.0.0.1:T1,...}, the nodes' TLS ports, plus the query if not null. */
    URI tlsUri(String query) {
        return URI.create("rediss-cluster://" + nodes.stream().map(node -> "127.0.0.1:" + node.tlsPort())
                .collect(Collectors.joining(",")) + "/" + (query == null ? "" : "?" + query));
    }

    public List<RedisServerProcess> nodes() {
        return nodes;
    }

    /** The slot of the queue with this prefix: all its keys share it. */
    public int slotOf(String prefix) {
        return Integer.parseInt(live().cli("CLUSTER", "KEYSLOT", "{" + prefix + "}"));
    }

    /** How many nodes are replicas, as this node sees the cluster. */
    private static int replicasSeenBy(RedisServerProcess node) {
        return (int) node.cli("CLUSTER", "NODES").lines().filter(line -> line.contains("slave")).count();
    }

    private RedisServerProcess live() {
        return nodes.stream().filter(RedisServerProcess::alive).findFirst().orElseThrow();
    }

    /** The running replica of this master, as a running node sees the cluster. */
    public RedisServerProcess replicaOf(RedisServerProcess master) {
        String masterId = master.cli("CLUSTER", "MYID");
        for (String line : live().cli("CLUSTER", "NODES").split("\n")) {
            String[] fields = line.trim().split(" ");
            if (fields[2].contains("slave") && fields[3].equals(masterId)) {
                return node(fields[1]);
            }
        }
        throw new IllegalStateException("no replica of the node on port " + master.port());
    }

    /** The node at ip:port@bus, as CLUSTER NODES names it. */
    private RedisServerProcess node(String address) {
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1, address.indexOf('@')));
        return nodes.stream().filter(node -> node.port() == port).findFirst().orElseThrow();
    }

    /** The node that serves this slot now, as a running node sees the cluster. */
    public RedisServerProcess serving(int slot) {
        for (String line : live().cli("CLUSTER", "NODES").split("\n")) {
            String[] fields = line.trim().split(" ");
            for (int i = 8; i < fields.length; i++) {
                String[] range = fields[i].split("-");
                if (range[0].startsWith("[")) {
                    continue; // a slot being moved
                }
                int first = Integer.parseInt(range[0]);
                int last = range.length > 1 ? Integer.parseInt(range[1]) : first;
                if (slot >= first && slot <= last && !fields[2].contains("fail")) {
                    return node(fields[1]);
                }
            }
        }
        throw new IllegalStateException("no node serves slot " + slot);
    }

    /** Moves a slot and its keys to another node, as {@code redis-cli --cluster reshard} does, slot by slot. */
    public void move(int slot, RedisServerProcess to) {
        RedisServerProcess from = serving(slot);
        String fromId = from.cli("CLUSTER", "MYID");
        String toId = to.cli("CLUSTER", "MYID");
        to.cli("CLUSTER", "SETSLOT", String.valueOf(slot), "IMPORTING", fromId);
        from.cli("CLUSTER", "SETSLOT", String.valueOf(slot), "MIGRATING", toId);
        while (true) {
            String keys = from.cli("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "1000");
            if (keys.isBlank()) {
                break;
            }
            List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", String.valueOf(to.port()), "", "0",
                    "5000", "KEYS"));
            migrate.addAll(List.of(keys.split("\n")));
            from.cli(migrate.toArray(String[]::new));
        }
        // the new owner first, then the old, then the rest, as redis-cli does
        List<RedisServerProcess> order = new ArrayList<>(List.of(to, from));
        nodes.stream().filter(node -> node != to && node != from && node.alive()).forEach(order::add);
        for (RedisServerProcess node : order) {
            node.cli("CLUSTER", "SETSLOT", String.valueOf(slot), "NODE", toId);
        }
    }

    private static void run(List<String> command) {
        try {
            Path out = Files.createTempFile("hangar-redis-cluster-", ".log");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
                boolean ended = process.waitFor(30, TimeUnit.SECONDS);
                if (!ended) {
                    process.destroyForcibly();
                }
                if (!ended || process.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + (ended ? " failed: " : " hung: ")
                            + Files.readString(out, StandardCharsets.UTF_8));
                }
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        nodes.forEach(RedisServerProcess::close);
    }
}
