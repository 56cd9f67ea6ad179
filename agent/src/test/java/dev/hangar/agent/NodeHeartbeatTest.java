package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.queue.QueueException;
import dev.hangar.queue.testkit.InMemoryNodeRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** A node's heartbeat puts it in the registry, and its stop takes it out without waiting on a queue that is away. */
class NodeHeartbeatTest {
    private final InMemoryNodeRegistry nodes = new InMemoryNodeRegistry();
    private final CountDownLatch leaveAnswers = new CountDownLatch(1);

    private static NodeStatus status(Clock clock) {
        return new NodeStatus("node", new NodeStatus.Capacity(4, 4096, 0), new NodeStatus.Load(0, 4, 4096, 0), 2, List.of(),
                Set.of(), MountPolicy.none(), clock.instant());
    }

    private NodeHeartbeat heartbeatOn(NodeRegistry registry) {
        return new NodeHeartbeat(registry, "node", "i1", NodeHeartbeatTest::status, asked -> {}, asked -> {},
                Duration.ofSeconds(30), Clock.systemUTC());
    }

    /** The registry, but its leave does {@code leave} instead. */
    private NodeRegistry leavingBy(Runnable leave) {
        return (NodeRegistry) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {NodeRegistry.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("leave")) {
                        leave.run();
                        return null;
                    }
                    try {
                        return method.invoke(nodes, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aNameAnotherAgentBeatsUnderIsRefusedAndOneOfThisAgentOrOfAnOlderOneIsTaken() {
        Runnable claim = () -> NodeHeartbeat.claimName(nodes, "node", "i1", Clock.systemUTC());
        claim.run(); // no one's

        nodes.heartbeat(status(Clock.systemUTC()).fromInstance("i2"), Duration.ofSeconds(10)); // another host's
        assertThatThrownBy(claim::run).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--node-name: another agent is in the cluster as 'node', from another host or"
                        + " data directory (its last heartbeat ")
                .hasMessageContaining("give this one a name of its own");

        nodes.heartbeat(status(Clock.systemUTC()).fromInstance("i1"), Duration.ofSeconds(10)); // this one before a crash
        claim.run();
        nodes.heartbeat(status(Clock.systemUTC()), Duration.ofSeconds(10)); // an agent older than instances
        claim.run();

        var heartbeat = heartbeatOn(nodes).start();
        assertThat(nodes.beats.getLast().instance()).as("each beat says whose it is").isEqualTo("i1");
        heartbeat.close();
    }

    @Test
    void aNodeStoppedLeavesTheRegistryAtOnce() {
        var heartbeat = heartbeatOn(nodes).start();
        assertThat(nodes.nodes()).extracting(NodeStatus::name).containsExactly("node");

        heartbeat.close();

        assertThat(nodes.nodes()).isEmpty();
    }

    @Test
    void aStopWhileTheQueueDoesNotAnswerWaitsAMomentForTheLeaveNotItsCommandTimeout() {
        var heartbeat = heartbeatOn(leavingBy(() -> {
            try {
                leaveAnswers.await(); // as a call on a lost connection waits, here for ever
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })).start();

        long began = System.nanoTime();
        // generous: what is tested is that it returns at all while the leave still waits
        assertTimeoutPreemptively(NodeHeartbeat.LEAVE_WAIT.multipliedBy(5), heartbeat::close);

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThanOrEqualTo(NodeHeartbeat.LEAVE_WAIT);
        assertThat(leaveAnswers.getCount()).as("the leave still waits").isOne();
        assertThat(nodes.nodes()).as("listed until its heartbeat expires").hasSize(1);
        leaveAnswers.countDown();
    }

    @Test
    void aLeaveThatFailsIsToldNotThrown() {
        var tried = new CountDownLatch(1);
        var heartbeat = heartbeatOn(leavingBy(() -> {
            tried.countDown();
            throw new QueueException("queue at redis://10.0.0.5:6379/0: leave failed: Redis out of reach", null);
        })).start();

        heartbeat.close();

        assertThat(tried.getCount()).as("it tried to leave").isZero();
        assertThat(nodes.nodes()).as("listed until its heartbeat expires").hasSize(1);
    }

    @Test
    void aNodeThatNeverBeatHasNothingToLeave() {
        var left = new CountDownLatch(1);
        heartbeatOn(leavingBy(left::countDown)).close();

        assertThat(left.getCount()).isOne();
    }

    @Test
    void aChangedAskIsToldAndBeatenWithinALookNotAtTheNextBeat() {
        var drains = new java.util.concurrent.CopyOnWriteArrayList<java.util.Optional<java.time.Instant>>();
        var labels = new java.util.concurrent.CopyOnWriteArrayList<java.util.Optional<java.util.Map<String, String>>>();
        // a beat a minute: one seen within the wait below came of the ask
        try (var heartbeat = new NodeHeartbeat(nodes, "node", "i1", NodeHeartbeatTest::status,
                asked -> drains.add(java.util.Optional.ofNullable(asked)), asked -> labels.add(java.util.Optional.ofNullable(asked)),
                Duration.ofMinutes(3), Clock.systemUTC()).start()) {
            assertThat(nodes.beats).hasSize(1);
            var askedAt = java.time.Instant.parse("2026-12-05T10:00:00Z");

            nodes.drain("node", askedAt);
            await().atMost(Duration.ofSeconds(20)).until(() -> nodes.beats.size() == 2);
            assertThat(drains.getLast()).contains(askedAt);

            nodes.relabel("node", java.util.Map.of("zone", "r2"));
            await().atMost(Duration.ofSeconds(20)).until(() -> nodes.beats.size() == 3);
            assertThat(labels.getLast()).contains(java.util.Map.of("zone", "r2"));

            // looks that find the asks as told make no beat
            await().during(NodeHeartbeat.ASK_LOOK.multipliedBy(3)).atMost(Duration.ofSeconds(20))
                    .until(() -> nodes.beats.size() == 3);
        }
    }
}
