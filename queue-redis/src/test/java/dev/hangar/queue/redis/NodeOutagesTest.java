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
    private final NodeOutages outages = new NodeOutages(now::get);

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
        pass(NodeOutages.TRIES_STOPPED_AFTER.plusSeconds(1));
        assertThat(outages.awayNanos("127.0.0.1", 7001)).as("the layout dropped it: no more tries").isZero();

        outages.accept(new ReconnectAttemptEvent(LOCAL, NODE, 1));
        pass(Duration.ofSeconds(2));
        assertThat(outages.awayNanos("127.0.0.1", 7001)).isEqualTo(Duration.ofSeconds(2).toNanos());
    }

    private void pass(Duration duration) {
        now.addAndGet(duration.toNanos());
    }
}
