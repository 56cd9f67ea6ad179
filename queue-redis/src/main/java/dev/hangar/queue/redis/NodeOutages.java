package dev.hangar.queue.redis;

import io.lettuce.core.event.Event;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ReconnectAttemptEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Since when each node of a Redis Cluster has been out of reach, from Lettuce's connection events: a
 * node is out of reach from the first try to reconnect to it until a connection to it is up again.
 * Only a connection Lettuce keeps (one it reconnects) counts: a layout reading connects to every node
 * and closes again, which says nothing of a node. A node whose tries have stopped (the layout dropped
 * it) is not held out of reach for ever: its outage counts only while tries go on.
 */
final class NodeOutages implements Consumer<Event> {
    /**
     * Tries come at least this often while Lettuce reconnects: a second's delay at most, plus a connect
     * that goes unanswered (5 s at most, see {@link RedisLink#socketOptions}).
     */
    static final Duration TRIES_STOPPED_AFTER = Duration.ofSeconds(10);

    private record Outage(long since, long lastTry) {
    }

    private final Map<String, Outage> outages = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;

    NodeOutages(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    @Override
    public void accept(Event event) {
        if (event instanceof ReconnectAttemptEvent attempt) {
            tried(attempt.remoteAddress());
        } else if (event instanceof ReconnectFailedEvent failed) {
            tried(failed.remoteAddress());
        } else if (event instanceof ConnectionActivatedEvent activated) {
            String node = key(activated.remoteAddress());
            if (node != null) {
                outages.remove(node);
            }
        }
    }

    private void tried(SocketAddress address) {
        String node = key(address);
        if (node != null) {
            long now = nanoClock.getAsLong();
            outages.merge(node, new Outage(now, now), (old, fresh) -> stopped(old, now) ? fresh : new Outage(old.since(), now));
        }
    }

    /** How long the node at host:port has been out of reach, in nanoseconds; 0 if it is not. */
    long awayNanos(String host, int port) {
        Outage outage = outages.get(host + ":" + port);
        if (outage == null) {
            return 0;
        }
        long now = nanoClock.getAsLong();
        return stopped(outage, now) ? 0 : now - outage.since();
    }

    private static boolean stopped(Outage outage, long now) {
        return now - outage.lastTry() > TRIES_STOPPED_AFTER.toNanos();
    }

    /** A node's address as the cluster's layout names it: its IP address (or host, if unresolved) and port. */
    private static String key(SocketAddress address) {
        if (!(address instanceof InetSocketAddress inet)) {
            return null;
        }
        String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
        return host + ":" + inet.getPort();
    }
}
