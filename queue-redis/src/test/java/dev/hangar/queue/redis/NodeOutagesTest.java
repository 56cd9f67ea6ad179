package dev.hangar.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ConnectionDeactivatedEvent;
import io.lettuce.core.event.connection.ReconnectAttemptEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NodeOutagesTest {
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 50000);
    private static final InetSocketAddress NODE = new InetSocketAddress("127.0.0.1", 7001);
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private static final Duration STOPPED_AFTER = Duration.ofSeconds(17);
    private final NodeOutages outages = new NodeOutages(STOPPED_AFTER, now::get);

    @Test
    void aNodeIsOutOfReachFromTheFirstTryToReconnectUntilAConnectionToItIsUp() {
        outages.accept(new ConnectionDeactivatedEvent(LOCAL, NODE));
        assertThat(outages.awayNanos("127.0.0.1", 7001)).as("lost, not yet tried again").isZero();
        outages.accept(new ReconnectAttemptEvent(LOCAL, NODE, 1));
        pass(Duration.ofSeconds(3));
        outages.accept(new ReconnectFailedEvent(LOCAL, NODE, new IOException("refused"), 1));
        outages.accept(new ReconnectAttemptEvent(LOCAL, NODE, 2));
        pass(Duration.ofSeconds(4));

        assertThat(outages.awayNanos("127.0.0.1", 7001)).isEqualTo(Duration.ofSeconds(7).toNanos());
        assertThat(outages.awayNanos("127.0.0.1", 7002)).as("another node").isZero();

        outages.accept(new ConnectionActivatedEvent(LOCAL, NODE));
        assertThat(outages.awayNanos("127.0.0.1", 7001)).isZero();
    }

    @Test
    void aConnectionThatClosesWithoutTriesToReconnectSaysNothingOfItsNode() {
        outages.accept(new ConnectionActivatedEvent(LOCAL, NODE));
        outages.accept(new ConnectionDeactivatedEvent(LOCAL, NODE)); // a layout reading's, say
        pass(Duration.ofSeconds(30));
        assertThat(outages.awayNanos("127.0.0.1", 7001)).isZero();
    }

    @Test
    void aNodeWhoseTriesStoppedIsNotHeldOutOfReachAndItsNextOutageCountsFromItsOwnStart() {
        outages.accept(new ReconnectAttemptEvent(LOCAL, NODE, 1));
        pass(STOPPED_AFTER.plusSeconds(1));
        assertThat(outages.awayNanos("127.0.0.1", 7001)).as("the layout dropped it: no more tries").isZero();

        outages.accept(new ReconnectAttemptEvent(LOCAL, NODE, 1));
        pass(Duration.ofSeconds(2));
        assertThat(outages.awayNanos("127.0.0.1", 7001)).isEqualTo(Duration.ofSeconds(2).toNanos());
    }

    @Test
    void aNodeWhoseTriesStoppedIsDroppedThoughNoOneAsksAboutItAgain() {
        var gone = new InetSocketAddress("127.0.0.1", 7009); // a master that never came back
        outages.accept(new ReconnectAttemptEvent(LOCAL, gone, 1));
        pass(STOPPED_AFTER.plusSeconds(1));
        outages.accept(new ReconnectAttemptEvent(LOCAL, NODE, 1));

        assertThat(outages.awayNanos("127.0.0.1", 7001)).isZero();
        assertThat(outages.held()).as("the node still tried").isEqualTo(1);
        outages.accept(new ConnectionActivatedEvent(LOCAL, NODE));
        assertThat(outages.held()).as("the map empties again, and calls take the fast path").isZero();
    }

    @Test
    void triesThatNameTheNodeAsTheLayoutDoesCountAndAConnectionToItsAddressClearsThem() {
        // from the second try on, Lettuce names the node as the layout does, unresolved
        outages.accept(new ReconnectAttemptEvent(LOCAL, InetSocketAddress.createUnresolved("LocalHost", 7003), 2));
        outages.accept(new ReconnectAttemptEvent(LOCAL, InetSocketAddress.createUnresolved("::1", 7004), 2));
        pass(Duration.ofSeconds(6));
        assertThat(outages.awayNanos("localhost", 7003)).isEqualTo(Duration.ofSeconds(6).toNanos());
        assertThat(outages.awayNanos("0:0:0:0:0:0:0:1", 7004)).as("IPv6 in either form").isPositive();
        assertThat(outages.awayNanos("::1", 7004)).isPositive();

        // a connection names the node by its address
        outages.accept(new ConnectionActivatedEvent(LOCAL, new InetSocketAddress("127.0.0.1", 7003)));
        outages.accept(new ConnectionActivatedEvent(LOCAL, new InetSocketAddress("::1", 7004)));
        assertThat(outages.awayNanos("localhost", 7003)).isZero();
        assertThat(outages.awayNanos("::1", 7004)).isZero();
    }

    @Test
    void aTryThatTakesLongerThanTheDelayButLessThanTheWindowKeepsTheOutageGoing() {
        outages.accept(new ReconnectAttemptEvent(LOCAL, NODE, 1));
        pass(Duration.ofSeconds(15)); // a handshake to a server that hangs, waited out to the timeout
        outages.accept(new ReconnectFailedEvent(LOCAL, NODE, new IOException("handshake timed out"), 1));
        assertThat(outages.awayNanos("127.0.0.1", 7001)).isEqualTo(Duration.ofSeconds(15).toNanos());
    }

    private void pass(Duration duration) {
        now.addAndGet(duration.toNanos());
    }
}
