package dev.hangar.queue.redis;

import io.lettuce.core.event.Event;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ReconnectAttemptEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * Since when each node of a Redis Cluster has been out of reach, from Lettuce's connection events: a
 * node is out of reach from the first try to reconnect to it until a connection to it is up again
 * (its handshake done). Only connections that Lettuce reconnects start an outage; a layout reading's
 * connections, closed on purpose, do not. A node whose tries have stopped (the layout dropped it) is
 * not held out of reach for ever: its outage counts only while tries go on.
 *
 * <p>Nodes are keyed as the cluster's layout names them: a reconnect try names the node by the host
 * of the layout (unresolved), a connection made names it by IP address, so an IP address is written
 * in one form (IPv6 too) and a connection to an address clears the outage of a host name that
 * resolves to it.
 */
final class NodeOutages implements Consumer<Event> {
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

    private record Outage(String host, int port, long since, long lastTry) {
    }

    private final Map<String, Outage> outages = new ConcurrentHashMap<>();
    private final Duration triesStoppedAfter;
    private final LongSupplier nanoClock;

    /**
     * @param triesStoppedAfter how long with no try means Lettuce tries no more: more than the longest a
     *                          try may take (its connect and handshake) and the delay before the next
     */
    NodeOutages(Duration triesStoppedAfter, LongSupplier nanoClock) {
        this.triesStoppedAfter = triesStoppedAfter;
        this.nanoClock = nanoClock;
    }

    @Override
    public void accept(Event event) {
        if (event instanceof ReconnectAttemptEvent attempt) {
            tried(attempt.remoteAddress());
        } else if (event instanceof ReconnectFailedEvent failed) {
            tried(failed.remoteAddress());
        } else if (event instanceof ConnectionActivatedEvent activated) {
            connected(activated.remoteAddress());
        }
    }

    private void tried(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.isUnresolved() ? canonical(inet.getHostString()) : inet.getAddress().getHostAddress();
            long now = nanoClock.getAsLong();
            outages.merge(host + ":" + inet.getPort(), new Outage(host, inet.getPort(), now, now),
                    (old, fresh) -> stopped(old, now) ? fresh : new Outage(host, inet.getPort(), old.since(), now));
        }
    }

    private void connected(SocketAddress address) {
        if (!(address instanceof InetSocketAddress inet) || inet.isUnresolved()) {
            return;
        }
        InetAddress ip = inet.getAddress();
        outages.values().removeIf(outage -> outage.port() == inet.getPort() && resolvesTo(outage.host(), ip));
    }

    /** Whether the host is that address: itself, or a name for it (asked of the resolver, rarely: on a connect). */
    private static boolean resolvesTo(String host, InetAddress ip) {
        if (host.equals(ip.getHostAddress())) {
            return true;
        }
        if (IP_LITERAL.matcher(host).matches()) {
            return false;
        }
        try {
            return Arrays.asList(InetAddress.getAllByName(host)).contains(ip);
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** How long the node the layout names host:port has been out of reach, in nanoseconds; 0 if it is not. */
    long awayNanos(String host, int port) {
        if (outages.isEmpty()) {
            return 0; // the common case, with no parsing of the host
        }
        long now = nanoClock.getAsLong();
        // why every node's: one the layout dropped for good (a new address, a master that never came back) is
        // asked about no more, and would keep the map from emptying again
        outages.values().removeIf(outage -> stopped(outage, now));
        Outage outage = outages.get(canonical(host) + ":" + port);
        return outage == null ? 0 : now - outage.since();
    }

    /** How many nodes it holds out of reach now. */
    int held() {
        return outages.size();
    }

    private boolean stopped(Outage outage, long now) {
        return now - outage.lastTry() > triesStoppedAfter.toNanos();
    }

    /** An IP address in one form (::1 and 0:0:0:0:0:0:0:1 alike), a host name in lower case. */
    private static String canonical(String host) {
        if (IP_LITERAL.matcher(host).matches()) {
            try {
                return InetAddress.getByName(host).getHostAddress(); // a literal: parsed, never looked up
            } catch (UnknownHostException e) {
                return host;
            }
        }
        return host.toLowerCase(Locale.ROOT);
    }
}
