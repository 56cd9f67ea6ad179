package dev.hangar.queue.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real redis-server for tests: in the foreground, on a free loopback port, with a directory of
 * its own, no RDB snapshots and (if asked) an append-only file, so that {@link #kill} and
 * {@link #restart} show what survives a crash; or a replica of another, or a Redis Sentinel.
 * Tests are skipped, saying why, where redis-server is not installed.
 */
public final class RedisServerProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path dir;
    private final int port;
    private final boolean appendOnly;
    /** What this server is besides: e.g. a replica of another, or the sentinel's config file and --sentinel. */
    private final List<String> role;
    private Process process;
    /** The port it also listens on with TLS, 0 if none. */
    private int tlsPort;

    private RedisServerProcess(Path dir, int port, boolean appendOnly, List<String> role) {
        this.dir = dir;
        this.port = port;
        this.appendOnly = appendOnly;
        this.role = role;
    }

    /** A server without persistence. */
    public static RedisServerProcess start() {
        return start(false);
    }

    /** A server; with {@code appendOnly}, every write is fsynced to its AOF before Redis replies. */
    public static RedisServerProcess start(boolean appendOnly) {
        return start(appendOnly, (dir, port) -> List.of());
    }

    /**
     * A server without persistence that also listens with TLS, on {@link #tlsPort()}, showing {@code server}
     * (its plain port stays, for {@link #cli}); with {@code askClients}, a TLS client must show a
     * certificate that {@code ca} signed.
     */
    static RedisServerProcess withTls(TestCertificates.Pair server, Path ca, boolean askClients) {
        return withTls(server, ca, askClients, (dir, port) -> List.of());
    }

    /** A node of a Redis Cluster, as {@link #clusterNode}, that also speaks TLS as {@link #withTls}, on its cluster bus too. */
    static RedisServerProcess clusterNodeWithTls(TestCertificates.Pair server, Path ca) {
        return withTls(server, ca, false, (dir, port) -> {
            List<String> arguments = new ArrayList<>(CLUSTER_NODE.arguments(dir, port));
            arguments.addAll(List.of("--tls-cluster", "yes"));
            return arguments;
        });
    }

    private static RedisServerProcess withTls(TestCertificates.Pair server, Path ca, boolean askClients, Role role) {
        int[] tls = new int[1];
        RedisServerProcess redis = start(false, (dir, port) -> {
            tls[0] = otherFreePort(port);
            List<String> arguments = new ArrayList<>(role.arguments(dir, port)); // a sentinel's config file first
            arguments.addAll(List.of("--tls-port", String.valueOf(tls[0]), "--tls-cert-file",
                    server.cert().toString(), "--tls-key-file", server.key().toString(), "--tls-ca-cert-file", ca.toString(),
                    "--tls-auth-clients", askClients ? "yes" : "no",
                    // a replica, or a master a sentinel turns into one after a failover, replicates over TLS
                    "--tls-replication", "yes"));
            return arguments;
        });
        redis.tlsPort = tls[0];
        return redis;
    }

    public int tlsPort() {
        return tlsPort;
    }

    /** A server as {@link #withTls} that replicates {@code master} over TLS, at its TLS port (which it announces too). */
    static RedisServerProcess replicaWithTls(RedisServerProcess master, TestCertificates.Pair server, Path ca) {
        return withTls(server, ca, false, (dir, port) -> List.of("--replicaof", "127.0.0.1", String.valueOf(master.tlsPort())));
    }

    /** A server without persistence that replicates {@code master}. */
    public static RedisServerProcess replicaOf(RedisServerProcess master) {
        return start(false, (dir, port) -> List.of("--replicaof", "127.0.0.1", String.valueOf(master.port())));
    }

    /**
     * A Redis Sentinel on its own, monitoring {@code master} under {@code name} with a quorum of one,
     * quick to call the master down (2 s: less, and a busy host's freshly promoted master is called
     * down too, and failed over again to a replica that has not made its copy yet) and to fail over.
     */
    public static RedisServerProcess sentinelOf(RedisServerProcess master, String name) {
        return sentinelOf(master, name, null);
    }

    /** As {@link #sentinelOf(RedisServerProcess, String)}, asking its own clients for this password if not null. */
    public static RedisServerProcess sentinelOf(RedisServerProcess master, String name, String password) {
        return start(false, sentinel(name, master.port(), password == null ? "" : "requirepass " + password));
    }

    /**
     * A sentinel as {@link #sentinelOf(RedisServerProcess, String)} that speaks TLS too, as {@link #withTls},
     * and monitors {@code master} at its TLS port, with TLS.
     */
    static RedisServerProcess sentinelWithTls(RedisServerProcess master, String name, TestCertificates.Pair server, Path ca) {
        return withTls(server, ca, false, sentinel(name, master.tlsPort(), "tls-replication yes"));
    }

    private static Role sentinel(String name, int masterPort, String more) {
        return (dir, port) -> {
            Path config = dir.resolve("sentinel.conf"); // a sentinel rewrites its config file: it must be writable
            try {
                Files.writeString(config, String.join("\n", more,
                        "sentinel monitor " + name + " 127.0.0.1 " + masterPort + " 1",
                        "sentinel down-after-milliseconds " + name + " 2000",
                        "sentinel failover-timeout " + name + " 5000",
                        "sentinel parallel-syncs " + name + " 1", ""));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return List.of(config.toString(), "--sentinel");
        };
    }

    /**
     * A node of a Redis Cluster, alone until {@link RedisClusterProcess} joins it to others; with
     * {@code appendOnly}, as {@link #start(boolean)}. Its cluster bus gets a free port of its own (by
     * default it would be the port plus 10000, which may not be free).
     */
    public static RedisServerProcess clusterNode(boolean appendOnly) {
        return start(appendOnly, CLUSTER_NODE);
    }

    private static final Role CLUSTER_NODE = (dir, port) -> List.of("--cluster-enabled", "yes", "--cluster-config-file",
            dir.resolve("nodes.conf").toString(), "--cluster-port", String.valueOf(otherFreePort(port)),
            "--cluster-node-timeout", "2000");

    /** What a server is besides a plain one, given its directory and port: the arguments it takes for it. */
    private interface Role {
        List<String> arguments(Path dir, int port);
    }

    private static RedisServerProcess start(boolean appendOnly, Role role) {
        String server = executable("redis-server");
        Assumptions.assumeTrue(server != null, "redis-server is not installed (not on the PATH): Redis tests skipped");
        try {
            Path dir = Files.createTempDirectory("hangar-redis-");
            int port = freePort();
            RedisServerProcess redis = new RedisServerProcess(dir, port, appendOnly, role.arguments(dir, port));
            redis.launch(server);
            return redis;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:PORT}, plus the query if not null, e.g. {@code prefix=t1}. */
    public URI uri(String query) {
        return URI.create("redis://127.0.0.1:" + port + (query == null ? "" : "?" + query));
    }

    public URI uri() {
        return uri(null);
    }

    public Path dir() {
        return dir;
    }

    /** Runs {@code redis-cli -p PORT args...} and returns what it printed (--no-raw off: plain values). */
    public String cli(String... args) {
        String cli = executable("redis-cli");
        Assumptions.assumeTrue(cli != null, "redis-cli is not installed");
        List<String> command = new ArrayList<>(List.of(cli, "-p", String.valueOf(port)));
        command.addAll(List.of(args));
        try {
            Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!run.waitFor(10, TimeUnit.SECONDS) || run.exitValue() != 0) {
                throw new IllegalStateException("redis-cli " + args[0] + " failed: " + out);
            }
            return out.strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Whether the server runs (it was not killed, or was restarted). */
    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: no shutdown, no final save; only what is in the AOF survives. */
    public void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGSTOP: the server holds its connections but does nothing, as a hung or cut-off host would. */
    public void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause}. */
    public void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the server (if it runs) and starts it again on the same port and directory. */
    public void restart() {
        kill();
        launch(executable("redis-server"));
    }

    @Override
    public void close() {
        kill();
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind is harmless
        }
    }

    private void launch(String server) {
        List<String> command = new ArrayList<>(List.of(server));
        boolean sentinel = role.contains("--sentinel");
        command.addAll(sentinel ? role : List.of()); // a sentinel takes its config file first
        command.addAll(List.of("--port", String.valueOf(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--daemonize", "no"));
        if (!sentinel) {
            command.addAll(List.of("--save", "", "--appendonly", appendOnly ? "yes" : "no",
                    "--appendfsync", appendOnly ? "always" : "everysec"));
            command.addAll(role);
        }
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitPong();
    }

    /** Skips the test, saying why, when asked for TLS of a redis-server built without it (BUILD_TLS). */
    private void assumeBuiltWithTls() {
        if (!role.contains("--tls-port")) {
            return;
        }
        try {
            String log = Files.readString(dir.resolve("redis.log"));
            // the directive named is the first TLS one it read: --tls-port, or a sentinel's config file's
            Assumptions.assumeFalse(log.contains("Bad directive") && log.contains("'tls-"),
                    "redis-server was built without TLS (it refuses its tls- directives): TLS tests skipped");
        } catch (IOException e) {
            // no log to tell by: the failure says to look at it
        }
    }

    /**
     * PING until PONG (or NOAUTH, from a server that asks for a password): a restarting server answers
     * LOADING while it reads its AOF.
     */
    private void awaitPong() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                assumeBuiltWithTls();
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + "; see " + dir.resolve("redis.log"));
            }
            if (pong()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("redis-server did not answer PING within " + START_TIMEOUT);
    }

    private boolean pong() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int n = in.read(reply);
            String answer = n < 5 ? "" : new String(reply, 0, n, StandardCharsets.US_ASCII);
            return answer.startsWith("+PONG") || answer.startsWith("-NOAUTH");
        } catch (IOException e) {
            return false;
        }
    }

    private static int otherFreePort(int than) {
        try {
            int port = freePort();
            while (port == than) {
                port = freePort();
            }
            return port;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The program of that name on the PATH, or null. */
    static String executable(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
