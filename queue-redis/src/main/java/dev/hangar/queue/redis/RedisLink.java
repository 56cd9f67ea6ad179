package dev.hangar.queue.redis;

import dev.hangar.core.queue.QueueException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.EpollProvider;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The connection to Redis, one server (found directly or through Sentinel) or a Redis Cluster: Lettuce
 * reconnects by itself (calls made meanwhile wait for it, up to {@link #PATIENCE}), and every failure
 * reaches callers as a {@link QueueException} that says what failed where. Once the connection to
 * the server (on a cluster, to the master of the queue's slot) has been lost for longer than
 * {@link #PATIENCE}, calls fail at once until it is back (on a cluster, until its layout, read anew
 * meanwhile, names another master): a restart is waited out, an outage is not
 * waited for at every call. A server cut off without its
 * connection closing (its host gone, the network split) is seen as lost too, after the command timeout
 * (see {@link #socketOptions}). Keys and values are bytes:
 * log output is not text. On a cluster every key of a queue shares one hash slot (see
 * {@link RedisSettings#keyPrefix}), so its commands and scripts all go to the node that serves it.
 */
final class RedisLink implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RedisLink.class.getName());
    private static final String NO_MASTER = "no master serves the queue's slot";
    /** Replies that say a cluster is changing (a failover, a moved slot, a cluster still forming): try again. */
    private static final List<String> CLUSTER_CHANGING = List.of("MOVED", "ASK ", "READONLY", "CLUSTERDOWN", "TRYAGAIN",
            "LOADING", NO_MASTER);

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final StatefulConnection<byte[], byte[]> connection;
    private final RedisClusterCommands<byte[], byte[]> commands;
    private final String where;
    private final Duration timeout;
    /** How long calls wait for a lost connection to come back before they fail at once: a restart's time, not an outage's. */
    static final Duration PATIENCE = Duration.ofSeconds(5);
    /** How often a call held back while the connection is lost looks whether it is back. */
    private static final Duration LOST_LOOK_EVERY = Duration.ofMillis(20);
    private static final Duration MIN_SOCKET_WAIT = Duration.ofSeconds(2);
    /** A connect that goes unanswered this long is tried again: one begun during a cut ends soon after it heals. */
    private static final Duration MOST_CONNECT_WAIT = Duration.ofSeconds(5);
    private static volatile boolean toldNoNativeTransport;
    /** Lettuce's default for a TLS handshake (SslOptions). */
    private static final Duration TLS_HANDSHAKE = Duration.ofSeconds(10);
    /** When the shared connection to one server was lost (System.nanoTime()), while it is. */
    private volatile long lostAt;
    private volatile boolean lost;
    /** The slot all the queue's keys share: the one key every script declares. */
    private final int slot;
    /** On a cluster, which nodes are out of reach; null on one server. */
    private final NodeOutages outages;
    /** On a cluster, reads its layout anew while calls are refused; null on one server. */
    private final LayoutRereads layoutRereads;
    /**
     * How often a cluster's layout is read anew while calls are refused for its slot's master: a call
     * refused never reaches the client's routing, so no reply tells it of a replica promoted meanwhile,
     * and the client's own re-read after failed reconnects comes at most once in 30 s.
     */
    static final Duration LAYOUT_REREAD_EVERY = Duration.ofSeconds(1);

    private RedisLink(ClientResources resources, AbstractRedisClient client, Dedicated shared, RedisSettings settings) {
        this.resources = resources;
        this.client = client;
        this.connection = shared.connection();
        this.commands = shared.sync();
        this.where = settings.where();
        this.timeout = settings.timeout();
        this.slot = SlotHash.getSlot(bytes(settings.keyPrefix()));
        if (client instanceof RedisClient) {
            client.addListener(new LostConnectionWatch());
            this.outages = null;
            this.layoutRereads = null;
        } else {
            // a cluster's connection is many, to nodes that come and go with its layout: the one that
            // matters is to whichever master serves the slot now
            this.outages = new NodeOutages(triesStoppedAfter(settings.timeout()), System::nanoTime);
            resources.eventBus().get().subscribe(outages);
            this.layoutRereads = new LayoutRereads(((RedisClusterClient) client)::refreshPartitionsAsync,
                    LAYOUT_REREAD_EVERY, System::nanoTime);
        }
    }

    /**
     * How long without a reconnect try means Lettuce tries no more: longer than one try may take (its
     * connect, then its handshake, which waits up to the command timeout, and a TLS one up to 10 s) and
     * the delay before the next (a second at most).
     */
    private static Duration triesStoppedAfter(Duration timeout) {
        Duration handshake = timeout.compareTo(TLS_HANDSHAKE) > 0 ? timeout : TLS_HANDSHAKE;
        return MOST_CONNECT_WAIT.plus(handshake).plusSeconds(2);
    }

    /** Notes when the shared connection to one server goes and comes back. */
    private final class LostConnectionWatch implements RedisConnectionStateListener {
        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> disconnected) {
            if (disconnected == connection && !lost) {
                lostAt = System.nanoTime();
                lost = true;
            }
        }

        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connected, SocketAddress address) {
            if (connected == connection) {
                lost = false;
            }
        }
    }

    /**
     * Holds a call back while the shared connection to one server (on a cluster, to the master that
     * serves the queue's slot now) is lost, until it is back, and fails it once it has been lost for
     * longer than {@link #PATIENCE} (at once, for calls made after that): a call on a connection of its
     * own too, as it goes to the same server. Why not send it and let the client queue it until the
     * reconnect: such a command waits the whole command timeout (10 s by default) when the server does
     * not come back, twice the patience.
     */
    private void awaitWhileLost(String what) {
        if (outages == null && !lost) {
            return; // the common case, kept small: it is on every call's path
        }
        awaitOrRefuse(what);
    }

    private void awaitOrRefuse(String what) {
        // (on a cluster an outage is noted at the client's first reconnect try, about 0.1 s after the
        // connection went: a call in between is sent, and waits as before)
        long patience = Math.min(PATIENCE.toNanos(), timeout.toNanos());
        while (true) {
            RedisClusterNode master = null;
            long away;
            if (outages == null) {
                away = lost ? System.nanoTime() - lostAt : 0;
            } else {
                master = ((RedisClusterClient) client).getPartitions().getPartitionBySlot(slot);
                away = master == null ? 0 : outages.awayNanos(master.getUri().getHost(), master.getUri().getPort());
            }
            if (away <= 0) {
                return;
            }
            if (away > patience) {
                throw outOfReach(what, away, master);
            }
            if (layoutRereads != null) {
                layoutRereads.ask(); // a replica promoted meanwhile is found before the patience runs out
            }
            pause(Duration.ofNanos(Math.min(LOST_LOOK_EVERY.toNanos(), patience - away + 1)));
        }
    }

    private QueueException outOfReach(String what, long awayNanos, RedisClusterNode master) {
        if (layoutRereads != null) {
            layoutRereads.ask();
        }
        String host = master == null ? null : master.getUri().getHost();
        String node = host == null ? ""
                : "its slot's master " + (host.contains(":") ? "[" + host + "]" : host) + ":" + master.getUri().getPort() + "; ";
        return new QueueException(String.format(java.util.Locale.ROOT, "queue at %s: %s failed: Redis out of reach for"
                + " %.1f s (%sreconnecting each second; calls fail at once meanwhile)", where, what, awayNanos / 1e9, node),
                null);
    }

    /** Whether the shared connection to one server is lost now (as its state listener has heard). */
    boolean connectionLost() {
        return lost;
    }

    /** A connection and its commands, of a single server or of a cluster. */
    record Dedicated(StatefulConnection<byte[], byte[]> connection, RedisClusterCommands<byte[], byte[]> sync)
            implements AutoCloseable {
        @Override
        public void close() {
            connection.close();
        }
    }

    static RedisLink connect(RedisSettings settings) {
        // why capped at a second: Lettuce's default backoff grows to 30 s, so a Redis back after a
        // minute's outage was found up to 20 s later (measured), every call failing meanwhile
        ClientResources resources = ClientResources.builder().nettyCustomizer(new FlushBatching())
                .reconnectDelay(Delay.exponential(java.time.Duration.ofMillis(100), java.time.Duration.ofSeconds(1), 2,
                        java.util.concurrent.TimeUnit.MILLISECONDS))
                .build();
        AbstractRedisClient client;
        if (settings.clusterNodes().isEmpty()) {
            RedisClient single = RedisClient.create(resources, settings.redis());
            single.setOptions(secured(ClientOptions.builder(), settings)
                    .autoReconnect(true)
                    .socketOptions(socketOptions(settings.timeout()))
                    .timeoutOptions(TimeoutOptions.enabled(settings.timeout()))
                    .build());
            client = single;
        } else {
            RedisClusterClient cluster = RedisClusterClient.create(resources, settings.clusterNodes());
            cluster.setOptions(secured(ClusterClientOptions.builder(), settings)
                    .autoReconnect(true)
                    .socketOptions(socketOptions(settings.timeout()))
                    .timeoutOptions(TimeoutOptions.enabled(settings.timeout()))
                    // read the layout anew when a reply says it changed (a failover, a moved slot), and
                    // while calls are refused (LayoutRereads); not periodically, as each reading connects
                    // to every node, which counts as a reconnect (see onConnected)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .build())
                    .build());
            client = cluster;
        }
        try {
            return new RedisLink(resources, client, connect(client), settings);
        } catch (RedisException e) {
            client.shutdown(0, 2, TimeUnit.SECONDS);
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            // a cluster client's message lists the nodes' URIs, user names and all
            throw new QueueException("cannot connect to the queue at " + settings.where() + ": "
                    + RedisSettings.redacted(e.getMessage() + because(e)) + tlsHint(settings, e), e);
        }
    }

    /** The options with what TLS takes, for a rediss location. */
    private static <B extends ClientOptions.Builder> B secured(B options, RedisSettings settings) {
        if (settings.tls() != null) {
            options.sslOptions(settings.tls().sslOptions());
        }
        return options;
    }

    /**
     * Why: a connection to a server cut off silently (its host lost power, the network split) stays open
     * for as long as the kernel retries, a quarter of an hour, each call waiting its timeout meanwhile
     * and no reconnect to a master that Sentinel or the cluster has promoted. Data left unanswered for
     * the command timeout closes it (TCP_USER_TIMEOUT, with the native transport on Linux: Lettuce
     * refuses to connect if asked for it without), and an idle one, a blocked read's, is probed after
     * as long; Lettuce then reconnects as after a restart, each try given as long up to 5 s (not
     * 10 s), so that a cluster soon reads its layout anew. At least 2 s each: below, one lost packet
     * would cut a healthy connection.
     */
    static SocketOptions socketOptions(Duration timeout) {
        Duration atLeast = timeout.compareTo(MIN_SOCKET_WAIT) < 0 ? MIN_SOCKET_WAIT
                : Duration.ofSeconds((timeout.toMillis() + 999) / 1000);
        boolean nativeTransport = EpollProvider.isAvailable();
        if (!nativeTransport && !toldNoNativeTransport) {
            toldNoNativeTransport = true;
            LOG.log(System.Logger.Level.INFO, "Netty's native transport is not available here: a Redis cut off"
                    + " silently is seen as gone only once its connection is idle, by TCP keep-alive");
        }
        return SocketOptions.builder()
                .connectTimeout(atLeast.compareTo(MOST_CONNECT_WAIT) > 0 ? MOST_CONNECT_WAIT : atLeast)
                .tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder()
                        .enable(nativeTransport).tcpUserTimeout(atLeast).build())
                .keepAlive(SocketOptions.KeepAliveOptions.builder().enable()
                        .idle(atLeast).interval(Duration.ofSeconds(1)).count(3).build())
                .build();
    }

    /** Lettuce's own reason at the bottom of a failed connect (NOAUTH, WRONGPASS, refused...), which it does not show on top. */
    private static String because(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure || root.getMessage() == null ? "" : " (" + root.getMessage() + ")";
    }

    /**
     * What to look at when a TLS connect failed: a port that speaks no TLS (no TLS answer, or a plain
     * one), or the handshake refused (whom to trust, the host name, a client certificate); nothing when
     * no connection was made at all.
     */
    private static String tlsHint(RedisSettings settings, Throwable failure) {
        if (settings.tls() == null) {
            return "";
        }
        boolean handshakeFailed = false;
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof java.net.ConnectException || cause instanceof io.netty.channel.ConnectTimeoutException) {
                return "";
            }
            if (cause instanceof io.netty.handler.ssl.NotSslRecordException
                    || cause instanceof io.netty.handler.ssl.SslHandshakeTimeoutException) {
                return NO_TLS_THERE;
            }
            handshakeFailed |= cause instanceof javax.net.ssl.SSLException;
        }
        if (handshakeFailed) {
            return "; the TLS handshake failed: tlsCa names the authorities to trust, tlsVerify=ca leaves the"
                    + " host name unchecked, tlsCert and tlsKey give a certificate to a server that asks for one";
        }
        // Redis reads a TLS hello as a command and waits for the rest: the connection's setup times out
        return (String.valueOf(failure.getMessage()) + because(failure)).contains("initialization timed out") ? NO_TLS_THERE : "";
    }

    private static final String NO_TLS_THERE = "; a server that speaks no TLS on that port leaves the handshake unanswered";

    private static Dedicated connect(AbstractRedisClient client) {
        if (client instanceof RedisClusterClient cluster) {
            StatefulRedisClusterConnection<byte[], byte[]> connection = cluster.connect(ByteArrayCodec.INSTANCE);
            return new Dedicated(connection, connection.sync());
        }
        StatefulRedisConnection<byte[], byte[]> connection = ((RedisClient) client).connect(ByteArrayCodec.INSTANCE);
        return new Dedicated(connection, connection.sync());
    }

    /** Runs commands on the shared connection (Lettuce lets many threads share it). */
    <T> T call(String what, Function<RedisClusterCommands<byte[], byte[]>, T> commands) {
        return call(what, null, commands);
    }

    /** Runs commands on {@code on}, a connection of its own, or on the shared one if null. */
    <T> T call(String what, Dedicated on, Function<RedisClusterCommands<byte[], byte[]>, T> commands) {
        awaitWhileLost(what);
        try {
            return commands.apply(on == null ? this.commands : on.sync());
        } catch (RedisException e) {
            throw failed(what, e);
        }
    }

    /**
     * Runs commands on the master that serves the queue's slot, for a command without a key, which a
     * cluster client would send to any node, as the client's layout has it; elsewhere on the shared
     * connection. On a cluster that is changing, it reads the layout anew and tries again, for up to the
     * command timeout.
     */
    <T> T callOnSlotMaster(String what, Function<RedisClusterCommands<byte[], byte[]>, T> commands) {
        if (!(client instanceof RedisClusterClient cluster)) {
            return call(what, commands);
        }
        awaitWhileLost(what);
        var nodes = (StatefulRedisClusterConnection<byte[], byte[]>) connection;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                if (attempt > 1) {
                    cluster.refreshPartitions();
                }
                RedisClusterNode master = nodes.getPartitions().getPartitionBySlot(slot);
                if (master == null) {
                    throw new RedisException(NO_MASTER + " (" + slot + ") yet");
                }
                return commands.apply(nodes.getConnection(master.getNodeId()).sync());
            } catch (RedisException e) {
                Duration pause = Duration.ofMillis(100L * attempt);
                if (!changing(e) || System.nanoTime() + pause.toNanos() > deadline) {
                    throw failed(what, e);
                }
                pause(pause);
            }
        }
    }

    /** On a cluster, reads its layout anew, e.g. after a call that followed a moved slot; elsewhere nothing. */
    void readLayoutAgain() {
        if (client instanceof RedisClusterClient cluster) {
            try {
                cluster.refreshPartitions();
            } catch (RedisException e) { // the cluster away as the call was: the caller's to try again, as for any call
                throw failed("reading the cluster layout", e);
            }
        }
    }

    private static boolean changing(RedisException e) {
        String message = String.valueOf(e.getMessage());
        return e instanceof RedisConnectionException || CLUSTER_CHANGING.stream().anyMatch(message::contains);
    }

    /**
     * Loads a function library: on one server Redis refuses it if it has one of that name, saying it
     * already exists; on a cluster it replaces the one on the master that serves the queue's slot.
     * Functions are a node's own and a replica copies its master's, so a failover keeps them; a slot
     * moved to another master finds none there, and the caller loads them again.
     */
    void loadFunctions(String source) {
        if (client instanceof RedisClusterClient) {
            callOnSlotMaster("loading the queue's functions", redis -> redis.functionLoad(source, true));
        } else {
            call("loading the queue's functions", redis -> redis.functionLoad(source));
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QueueException("interrupted while waiting for Redis", e);
        }
    }

    QueueException failed(String what, RuntimeException e) {
        return new QueueException("queue at " + where + ": " + what + " failed: " + e.getMessage(), e);
    }

    /** A connection of its own, for a command that blocks (it would hold up everyone else's). */
    Dedicated connectAnother() {
        try {
            return connect(client);
        } catch (RedisException e) {
            throw failed("connect", e);
        }
    }

    /**
     * Runs this whenever {@code dedicated} connects again after it was lost (Redis restarted, say);
     * on a cluster, never (its connections to nodes come and go with the layout, not with restarts).
     */
    void onReconnected(Dedicated dedicated, Runnable action) {
        onConnected(connected -> connected == dedicated.connection(), action);
    }

    /** Runs this whenever a connection of this link connects, the first time or again (Redis restarted, say). */
    void onConnected(Runnable action) {
        onConnected(connected -> true, action);
    }

    private void onConnected(Predicate<RedisChannelHandler<?, ?>> which, Runnable action) {
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connected, SocketAddress address) {
                if (which.test(connected)) {
                    action.run();
                }
            }
        });
    }

    /** Makes the consumer group (and its stream) unless it is there. */
    void ensureGroup(String stream, String group) {
        try {
            commands.xgroupCreate(StreamOffset.from(bytes(stream), "0"), bytes(group), XGroupCreateArgs.Builder.mkstream());
        } catch (RedisException e) {
            if (String.valueOf(e.getMessage()).startsWith("BUSYGROUP")) {
                return; // there already
            }
            throw failed("creating consumer group " + group + " of " + stream, e);
        }
    }

    /** Many threads share the connection: their commands go out in one write when they come together. */
    private static final class FlushBatching implements NettyCustomizer {
        @Override
        public void afterChannelInitialized(Channel channel) {
            channel.pipeline().addFirst(new FlushConsolidationHandler(64, true));
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(0, 2, TimeUnit.SECONDS);
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
