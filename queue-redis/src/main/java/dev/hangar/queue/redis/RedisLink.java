package dev.hangar.queue.redis;

import dev.hangar.core.queue.QueueException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The connection to Redis: Lettuce reconnects by itself (commands issued meanwhile wait, up to the
 * command timeout), and every failure reaches callers as a {@link QueueException} that says what
 * failed where. Keys and values are bytes: log output is not text.
 */
final class RedisLink implements AutoCloseable {
    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final String where;

    private RedisLink(ClientResources resources, RedisClient client, StatefulRedisConnection<byte[], byte[]> connection,
            String where) {
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.where = where;
    }

    static RedisLink connect(RedisSettings settings) {
        ClientResources resources = ClientResources.builder().nettyCustomizer(new FlushBatching()).build();
        RedisClient client = RedisClient.create(resources, settings.redis());
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .timeoutOptions(TimeoutOptions.enabled(settings.timeout()))
                .build());
        try {
            return new RedisLink(resources, client, client.connect(ByteArrayCodec.INSTANCE), settings.where());
        } catch (RedisException e) {
            client.shutdown(0, 2, TimeUnit.SECONDS);
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            throw new QueueException("cannot connect to the queue at " + settings.where() + ": " + e.getMessage()
                    + because(e), e);
        }
    }

    /** Lettuce's own reason at the bottom of a failed connect (NOAUTH, WRONGPASS, refused...), which it does not show on top. */
    private static String because(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure || root.getMessage() == null ? "" : " (" + root.getMessage() + ")";
    }

    /** Runs commands on the shared connection (Lettuce lets many threads share it). */
    <T> T call(String what, Function<RedisCommands<byte[], byte[]>, T> commands) {
        try {
            return commands.apply(connection.sync());
        } catch (RedisException e) {
            throw failed(what, e);
        }
    }

    QueueException failed(String what, RuntimeException e) {
        return new QueueException("queue at " + where + ": " + what + " failed: " + e.getMessage(), e);
    }

    /** A connection of its own, for a command that blocks (it would hold up everyone else's). */
    StatefulRedisConnection<byte[], byte[]> connectAnother() {
        try {
            return client.connect(ByteArrayCodec.INSTANCE);
        } catch (RedisException e) {
            throw failed("connect", e);
        }
    }

    /** Runs this whenever a connection of this link connects, the first time or again (Redis restarted, say). */
    void onConnected(Runnable action) {
        onConnected(action, false);
    }

    /** Runs this whenever the shared connection ({@link #call}) connects again, not another of this link's. */
    void onSharedConnected(Runnable action) {
        onConnected(action, true);
    }

    private void onConnected(Runnable action, boolean sharedOnly) {
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connected, SocketAddress address) {
                if (!sharedOnly || connected == connection) {
                    action.run();
                }
            }
        });
    }

    /** Makes the consumer group (and its stream) unless it is there. */
    void ensureGroup(String stream, String group) {
        try {
            connection.sync().xgroupCreate(StreamOffset.from(bytes(stream), "0"), bytes(group), XGroupCreateArgs.Builder.mkstream());
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
