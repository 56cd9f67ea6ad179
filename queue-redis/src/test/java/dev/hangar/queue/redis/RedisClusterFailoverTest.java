package dev.hangar.queue.redis;

import static dev.hangar.queue.testkit.TestJobs.selection;
import static dev.hangar.queue.testkit.TestJobs.spec;
import static dev.hangar.queue.testkit.TestJobs.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.queue.QueueException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * The queue on a Redis Cluster whose master fails over to its replica, with real processes: three
 * masters, each with a replica. The cluster's replication is asynchronous, so the test waits until the
 * replica holds what the master has before it kills the master.
 */
class RedisClusterFailoverTest {

    @Test
    void theQueueFollowsAFailoverOfItsMasterAndCarriesOnOnThePromotedReplica() {
        try (RedisClusterProcess cluster = RedisClusterProcess.start(3, 1, false)) {
            String prefix = "failover";
            try (RedisQueueBackend queue = RedisQueueBackend.open(cluster.uri("prefix=" + prefix + "&timeout=PT5S"),
                    Clock.systemUTC())) {
                List<String> missed = new java.util.concurrent.CopyOnWriteArrayList<>();
                queue.subscribe(new dev.hangar.core.queue.QueueListener() {
                    @Override
                    public void jobChanged(Job job) {}

                    @Override
                    public void changesMissed(String why) {
                        missed.add(why);
                    }
                });
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    ids.add(queue.enqueue(spec("before-" + i)).job().id());
                }
                Lease held = queue.lease(worker("w1")).orElseThrow();
                assertThat(queue.started(held, "node-1", selection("process"), null)).isTrue();

                RedisServerProcess master = cluster.serving(cluster.slotOf(prefix));
                RedisServerProcess replica = caughtUpReplicaOf(cluster, master);
                master.kill();
                // meanwhile a queue whose slot another master serves opens and works at once
                String elsewhere = "elsewhere";
                for (int i = 0; cluster.serving(cluster.slotOf(elsewhere)) == master; i++) {
                    elsewhere = "elsewhere" + i;
                }
                try (RedisQueueBackend other = RedisQueueBackend.open(cluster.uri("prefix=" + elsewhere), Clock.systemUTC())) {
                    assertThat(other.enqueue(spec("while-a-master-is-down")).job().state()).isEqualTo(JobState.QUEUED);
                }
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> replica.cli("ROLE").startsWith("master"));

                // calls fail until the client has read the new layout; then the same backend carries on
                Job after = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions().until(
                                () -> queue.enqueue(spec().name("after").idempotencyKey("after-failover").build()).job(),
                                Objects::nonNull);
                assertThat(cluster.serving(cluster.slotOf(prefix))).isSameAs(replica);
                assertThat(queue.finish(held, Outcome.succeeded(0, false))).as("the lease held across it").isPresent();
                assertThat(QueueRuns.runAll(queue, "w2")).isEqualTo(20);
                ids.add(after.id());
                assertThat(ids).allSatisfy(id -> assertThat(queue.get(id).orElseThrow().state()).as(id)
                        .isEqualTo(JobState.SUCCEEDED));
                // the promoted replica may lack the master's last writes: what listeners hold may be ahead of it
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(missed).as("listeners told to read the jobs afresh").isNotEmpty());
            }
        }
    }

    /**
     * A master cut off without its connections closing, as a host that lost power, its cluster bus too:
     * the queue's connection to it must close, or calls would wait on it for as long as the kernel
     * retries (a quarter of an hour), never reading the layout that names the promoted replica.
     */
    @Test
    void theQueueFollowsAFailoverFromAMasterCutOffWithoutItsConnectionsClosing() {
        try (RedisClusterProcess cluster = RedisClusterProcess.start(3, 1, false)) {
            String prefix = "cut";
            try (RedisQueueBackend queue = RedisQueueBackend.open(cluster.uri("prefix=" + prefix + "&timeout=PT2S"),
                    Clock.systemUTC())) {
                Job before = queue.enqueue(spec("before")).job();
                RedisServerProcess master = cluster.serving(cluster.slotOf(prefix));
                RedisServerProcess replica = caughtUpReplicaOf(cluster, master);
                int bus = Integer.parseInt(master.cli("CONFIG", "GET", "cluster-port").lines().toList().get(1).strip());
                try (NetworkCut cut = NetworkCut.of(master.port(), bus)) {
                    // its own links out carry its word to the others still, so they would not call it
                    // failed: the replica takes over as an operator would have it
                    replica.cli("CLUSTER", "FAILOVER", "TAKEOVER");
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                            .until(() -> replica.cli("ROLE").startsWith("master"));
                    Job after = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                            .ignoreExceptions().until(() -> queue.enqueue(spec("after")).job(), Objects::nonNull);
                    assertThat(queue.get(before.id())).isPresent();
                    assertThat(queue.get(after.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
                }
            }
        }
    }

    /**
     * The master of the queue's slot gone with no replica to take over (or the whole cluster away): as on
     * one server, calls wait out a restart's time, then fail at once saying so until it is back, rather
     * than each waiting its timeout.
     */
    @Test
    void callsFailAtOnceSayingSoOnceTheMasterOfTheQueuesSlotHasBeenOutOfReachLongerThanARestart() {
        try (RedisClusterProcess cluster = RedisClusterProcess.start(3, 0, true)) {
            String prefix = "reach";
            try (RedisQueueBackend queue = RedisQueueBackend.open(cluster.uri("prefix=" + prefix + "&timeout=PT10S"),
                    Clock.systemUTC())) {
                Job before = queue.enqueue(spec("before")).job();
                RedisServerProcess master = cluster.serving(cluster.slotOf(prefix));
                master.kill();
                await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> assertThatThrownBy(queue::ping)
                        .isInstanceOf(QueueException.class)
                        .hasMessageContaining("Redis out of reach for"));
                long start = System.nanoTime();
                assertThatThrownBy(() -> queue.enqueue(spec("while-away"))).isInstanceOf(QueueException.class)
                        .hasMessageContaining("Redis out of reach for")
                        .hasMessageContaining("its slot's master 127.0.0.1:" + master.port());
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("failed at once").isLessThan(Duration.ofSeconds(2));

                master.restart();
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(queue::ping);
                assertThat(queue.enqueue(spec("back")).created()).isTrue();
                assertThat(queue.get(before.id())).isPresent();
            }
        }
    }

    /**
     * A replica promoted while calls are refused at once: a refused call never reaches the client's
     * routing, so no reply tells it of the new master, and the client's own re-read of the layout after
     * failed reconnects comes at most once in 30 s. The layout is read anew while calls are refused, and
     * the queue carries on within seconds of the promotion.
     */
    @Test
    void aReplicaPromotedWhileCallsAreRefusedIsFoundWithinSecondsOfItsPromotion() throws InterruptedException {
        try (RedisClusterProcess cluster = RedisClusterProcess.start(3, 1, false)) {
            // no failover of the cluster's own: the replica is promoted by hand once calls are refused
            for (RedisServerProcess node : cluster.nodes()) {
                node.cli("CONFIG", "SET", "cluster-node-timeout", "120000");
            }
            String prefix = "promoted";
            try (RedisQueueBackend queue = RedisQueueBackend.open(cluster.uri("prefix=" + prefix + "&timeout=PT2S"),
                    Clock.systemUTC())) {
                Job before = queue.enqueue(spec("before")).job();
                RedisServerProcess master = cluster.serving(cluster.slotOf(prefix));
                RedisServerProcess replica = caughtUpReplicaOf(cluster, master);
                master.kill();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThatThrownBy(queue::ping)
                        .hasMessageContaining("Redis out of reach for"));
                // past the client's first re-read after failed reconnects, which still named the old master
                Thread.sleep(Duration.ofSeconds(5));
                replica.cli("CLUSTER", "FAILOVER", "TAKEOVER");
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                        .until(() -> replica.cli("ROLE").startsWith("master"));
                long promoted = System.nanoTime();

                Job after = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .ignoreExceptions().until(() -> queue.enqueue(spec("after")).job(), Objects::nonNull);
                assertThat(Duration.ofNanos(System.nanoTime() - promoted)).as("found after the promotion")
                        .isLessThan(Duration.ofSeconds(4));
                assertThat(queue.get(before.id())).isPresent();
                assertThat(queue.get(after.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
            }
        }
    }

    /** The master's replica, once it holds all the master has: the cluster's replication is asynchronous. */
    private static RedisServerProcess caughtUpReplicaOf(RedisClusterProcess cluster, RedisServerProcess master) {
        RedisServerProcess replica = cluster.replicaOf(master);
        await().atMost(Duration.ofSeconds(10)).until(() -> offset(replica) == offset(master));
        return replica;
    }

    /** How far the server's copy of the replication stream reaches. */
    private static long offset(RedisServerProcess server) {
        return server.cli("INFO", "replication").lines().filter(line -> line.startsWith("master_repl_offset:"))
                .mapToLong(line -> Long.parseLong(line.substring(line.indexOf(':') + 1).strip())).findFirst().orElse(-1);
    }
}
