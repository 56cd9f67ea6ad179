package dev.hangar.cli;

import dev.hangar.queue.sqlite.SqliteQueueBackendProvider;
import java.net.URI;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hangar up}: server and agent in one JVM, on the embedded store or a cluster's Redis. */
@Command(name = "up", description = "Run a node with server and agent in this process: on the embedded store, "
        + "or with --redis as a node of a cluster.")
final class UpCommand implements Callable<Integer> {
    @Option(names = "--port", description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one)", defaultValue = "7070")
    int port;

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE})", defaultValue = "127.0.0.1")
    String host;

    @Option(converter = LocationConverter.class, names = "--redis", paramLabel = "URL",
            description = "Join the cluster on this Redis (e.g. redis://10.0.0.5:6379) instead of the embedded store")
    URI redis;

    @Option(names = "--retention", paramLabel = "DURATION", description = "How long the embedded store keeps a final job"
            + " and its output, ISO-8601 (default: the one it was last given, P7D for a new store; P0D for ever); with"
            + " --redis, give ?retention= in its URL")
    String retention;

    @Mixin
    NodeOptions node;

    @Mixin
    TokensOption tokens;

    @Override
    public Integer call() throws Exception {
        checkListen(host, port);
        URI queue = retention != null ? embeddedStore() : RedisLocations.check(redis);
        var accepted = tokens.readFor(host);
        EmbeddedHangar hangar;
        try (var progress = new Progress(System.err, () -> "starting: opening the store, probing runtimes")) {
            hangar = EmbeddedHangar.start(queue, node.dataDir(), node.dataDir().resolve("images"), host, port,
                    node.agentConfig(), accepted, tokens.hostNamesFor(host));
        }
        System.out.println("Hangar is up at " + url(host, hangar.port()) + " (node " + hangar.agent().nodeName()
                + ", store " + (redis != null ? RedisLocations.shown(queue) : node.dataDir()) + ")");
        System.out.println("runtimes: " + hangar.describeRuntimes());
        long usable = hangar.agent().runtimes().stream().filter(r -> r.probe().available()).count();
        if (usable == 0) {
            System.err.println("warning: no runtime is usable on this host; jobs will be refused. See 'hangar runtimes'.");
        }
        System.out.flush();
        awaitShutdown(STOPPING_NODE, hangar::close);
        return 0;
    }

    /** The data directory's SQLite store with --retention, or null for it as it is by default. */
    private URI embeddedStore() {
        if (retention == null) {
            return null;
        }
        if (redis != null) {
            throw new IllegalArgumentException("--retention is for the embedded store; with --redis give ?retention= in its URL");
        }
        SqliteQueueBackendProvider.retention(retention, "--retention"); // checked here, to name the option
        return EmbeddedHangar.sqliteStore(node.dataDir(), "retention=" + retention);
    }

    /**
     * The address a client on this machine reaches a server listening on {@code host} at: the
     * loopback one for every interface (0.0.0.0 and :: name no host a client can call), an IPv6
     * literal in brackets.
     */
    static String url(String host, int port) {
        String reachable = host;
        try {
            java.net.InetAddress address = java.net.InetAddress.getByName(host);
            if (address.isAnyLocalAddress()) {
                reachable = address instanceof java.net.Inet6Address ? "::1" : "127.0.0.1";
            }
        } catch (java.net.UnknownHostException e) {
            // checkListen said so before; the name as given
        }
        String bare = reachable.startsWith("[") && reachable.endsWith("]")
                ? reachable.substring(1, reachable.length() - 1) : reachable;
        return "http://" + (bare.contains(":") ? "[" + bare + "]" : bare) + ":" + port;
    }

    /** --host and --port, checked before anything starts: Jetty would blame any failure on the port. */
    static void checkListen(String host, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 0 and 65535, got " + port);
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--host must be an address of this machine, e.g. 127.0.0.1 (this machine"
                    + " only) or 0.0.0.0 (every interface); got an empty one");
        }
        java.net.InetAddress address;
        try {
            address = java.net.InetAddress.getByName(host);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--host " + host + " is not a known host name or address");
        }
        try {
            if (!ClientOptions.isThisMachine(address)) {
                throw new IllegalArgumentException("--host " + host + " (" + address.getHostAddress() + ") is not an"
                        + " address of this machine, so nothing can listen on it");
            }
        } catch (java.net.SocketException e) {
            throw new IllegalArgumentException("--host " + host + ": cannot read this machine's addresses: " + e.getMessage());
        }
        if (port != 0) {
            // said now, before a store is made; a port taken in the moment after still fails at the bind
            try (var probe = new java.net.ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new java.net.InetSocketAddress(address, port));
            } catch (java.net.BindException e) {
                throw new IllegalArgumentException(cannotListen(host, port, e));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--port " + port + ": cannot listen on " + host + " (" + e.getMessage() + ")");
            }
        }
    }

    /** Why a port could not be bound, told by the kernel's reason: taken, or kept from a user who is not root. */
    static String cannotListen(String host, int port, java.net.BindException e) {
        String reason = String.valueOf(e.getMessage());
        if (reason.contains("Address already in use")) {
            return "--port " + port + " is in use on " + host + " (" + reason + ")";
        }
        String privileged = port < 1024 && reason.contains("Permission denied")
                ? "; a port below 1024 needs root (or CAP_NET_BIND_SERVICE)" : "";
        return "--port " + port + ": cannot listen on " + host + " (" + reason + ")" + privileged;
    }

    /** What a node says as it starts to stop, which may take a while in which another Ctrl-C does nothing. */
    static final String STOPPING_NODE = "hangar: stopping: running jobs are stopped and handed back to the queue"
            + " (up to a minute)";

    /**
     * Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM), then says {@code stopping} on stderr
     * and runs {@code stop} before it exits.
     */
    static void awaitShutdown(String stopping, Runnable stop) throws InterruptedException {
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println(stopping);
            stop.run();
            stopped.countDown();
        }));
        stopped.await();
    }
}
