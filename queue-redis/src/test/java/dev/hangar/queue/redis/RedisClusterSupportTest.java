package dev.hangar.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.JobSpecValidator;
import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.queue.JobQuery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The parts of the backend that serve a cluster rather than the queue SPI: the node registry and housekeeping. */
class RedisClusterSupportTest extends RedisServerTest {
    private static final AtomicInteger TESTS = new AtomicInteger();

    private String prefix;
    private RedisQueueBackend queue;
    private NodeRegistry registry;


    @BeforeEach
    void open() {
        prefix = "cluster-" + TESTS.incrementAndGet();
        queue = RedisQueueBackend.open(redis.uri("prefix=" + prefix), Clock.systemUTC());
        registry = queue.nodeRegistry().orElseThrow();
    }

    @AfterEach
    void close() {
        queue.close();
    }

    static NodeStatus node(String name, int runningJobs) {
        var capacity = new NodeStatus.Capacity(8, 4096, 0);
        return new NodeStatus(name, capacity, new NodeStatus.Load(runningJobs, 8 - runningJobs, 4096, 0), 2, List.of(),
                Set.of("busybox"), MountPolicy.none(), Instant.parse("2026-12-01T00:00:00Z"));
    }

    @Test
    void aHeartbeatListsTheNodeAsItDescribedItself() {
        registry.heartbeat(node("b", 1), Duration.ofSeconds(10));
        registry.heartbeat(node("a", 0), Duration.ofSeconds(10));
        registry.heartbeat(node("b", 3).fromInstance("b-agent"), Duration.ofSeconds(10));

        assertThat(registry.nodes()).extracting(NodeStatus::name).containsExactly("a", "b");
        assertThat(registry.nodes()).extracting(NodeStatus::instance).as("which agent beats: a twin's start is refused")
                .containsExactly(null, "b-agent");
        assertThat(registry.nodes().get(1).load().runningJobs()).as("the latest heartbeat wins").isEqualTo(3);
        long ttl = Long.parseLong(redis.cli("PTTL", "{" + prefix + "}:node:a"));
        assertThat(ttl).as("the heartbeat key expires").isBetween(1L, 10_000L);
    }

    @Test
    void aNodeThatStopsBeatingDropsOutWhenItsKeyExpires() {
        registry.heartbeat(node("short-lived", 0), Duration.ofMillis(300));
        registry.heartbeat(node("steady", 0), Duration.ofSeconds(30));

        await().atMost(Duration.ofSeconds(10))
                .until(() -> registry.nodes().stream().map(NodeStatus::name).toList().equals(List.of("steady")));
        assertThat(redis.cli("SISMEMBER", "{" + prefix + "}:nodes", "short-lived"))
                .as("the reader dropped the expired name").isEqualTo("0");
    }

    @Test
    void aNodeThatBeatsAgainJustAfterAReaderFoundItsKeyExpiredStaysListed() {
        // the reader's MGET found the key gone; the node beats before the reader drops its name
        registry.heartbeat(node("back", 0), Duration.ofSeconds(30));
        var redisRegistry = (RedisNodeRegistry) registry;
        String nodes = "{" + prefix + "}:nodes";
        redisRegistry.forgetIfGone(RedisLink.bytes("back"), RedisLink.bytes("{" + prefix + "}:node:back"));
        assertThat(redis.cli("SISMEMBER", nodes, "back")).as("kept: its key is there again").isEqualTo("1");
        assertThat(registry.nodes()).extracting(NodeStatus::name).containsExactly("back");

        redis.cli("DEL", "{" + prefix + "}:node:back");
        redisRegistry.forgetIfGone(RedisLink.bytes("back"), RedisLink.bytes("{" + prefix + "}:node:back"));
        assertThat(redis.cli("SISMEMBER", nodes, "back")).as("dropped: its key is gone").isEqualTo("0");
    }

    @Test
    void aHeartbeatWithFieldsOfANewerAgentIsReadAndAnUnreadableOneHidesNoOtherNode() {
        registry.heartbeat(node("newer", 0), Duration.ofSeconds(30));
        registry.heartbeat(node("fine", 0), Duration.ofSeconds(30));
        String newer = redis.cli("GET", "{" + prefix + "}:node:newer");
        redis.cli("SET", "{" + prefix + "}:node:newer", newer.replaceFirst("\\{", "{\"gpuModel\":\"H100\","), "PX", "30000");
        redis.cli("SET", "{" + prefix + "}:node:broken", "{not json", "PX", "30000");
        redis.cli("SADD", "{" + prefix + "}:nodes", "broken");

        assertThat(registry.nodes()).extracting(NodeStatus::name).containsExactly("fine", "newer");
    }

    @Test
    void aNodeThatLeavesIsGoneAtOnce() {
        registry.heartbeat(node("a", 0), Duration.ofSeconds(30));
        registry.leave("a");
        assertThat(registry.nodes()).isEmpty();
    }

    @Test
    void aDrainAskedIsKeptUntilTakenBackThroughTheNodesLeavingAndComingBack() {
        Instant first = Instant.parse("2026-12-04T10:00:00Z");
        registry.heartbeat(node("a", 1), Duration.ofSeconds(30));
        registry.drain("a", first);
        registry.drain("a", first.plusSeconds(60));
        registry.drain("not-up-yet", first);
        assertThat(registry.drainAsked()).containsOnlyKeys("a", "not-up-yet").containsEntry("a", first);
        assertThat(registry.drainAskedOf("a")).as("a node's own, read alone").isEqualTo(first);

        registry.leave("a"); // a restart for the maintenance it drained for
        registry.heartbeat(node("a", 0), Duration.ofSeconds(30));
        assertThat(registry.drainAsked()).as("kept through the restart").containsKey("a");
        assertThat(redis.cli("TTL", "{" + prefix + "}:draining")).as("no expiry").isEqualTo("-1");

        registry.drain("a", null);
        registry.drain("never-asked", null);
        assertThat(registry.drainAsked()).containsOnlyKeys("not-up-yet");
        assertThat(registry.drainAskedOf("a")).isNull();
        redis.cli("HSET", "{" + prefix + "}:draining", "by-hand", "now");
        assertThat(registry.drainAskedOf("by-hand")).as("written by hand: asked all the same").isEqualTo(Instant.EPOCH);
    }

    @Test
    void labelsAskedOfANodeAreKeptThroughItsRestartsUntilChangedOrTakenBack() {
        assertThat(registry.labelsAsked()).as("each its own").isEmpty();
        registry.relabel("a", java.util.Map.of("zone", "r2", "gpu-model", "a100"));
        registry.relabel("b", java.util.Map.of("zone", "r1"));
        registry.leave("a");
        assertThat(registry.labelsAsked()).as("kept through a restart")
                .isEqualTo(java.util.Map.of("a", java.util.Map.of("zone", "r2", "gpu-model", "a100"), "b", java.util.Map.of("zone", "r1")));
        assertThat(redis.cli("HGET", "{" + prefix + "}:labels", "a")).as("as stored").isEqualTo("gpu-model=a100,zone=r2");
        assertThat(registry.labelsAskedOf("a")).as("a node's own, read alone")
                .isEqualTo(java.util.Map.of("zone", "r2", "gpu-model", "a100"));
        assertThat(redis.cli("TTL", "{" + prefix + "}:labels")).as("no expiry").isEqualTo("-1");

        registry.relabel("a", java.util.Map.of());
        assertThat(registry.labelsAsked()).as("none, asked").containsEntry("a", java.util.Map.of());
        assertThat(registry.labelsAskedOf("a")).as("none, asked").isEmpty();
        registry.relabel("a", null);
        registry.relabel("never-asked", null);
        assertThat(registry.labelsAsked()).as("its own again").containsOnlyKeys("b");
        assertThat(registry.labelsAskedOf("a")).as("its own again").isNull();
    }

    @Test
    void aChangeOfLabelsStartsFromThoseAskedBeforeOrElseFromTheNodesOwnAndRefusesTooManyChangingNothing() {
        var own = java.util.Map.of("zone", "r1", "rack", "7");
        assertThat(registry.changeLabels("a", own, java.util.Map.of("pool", "ml"), java.util.Set.of("rack")))
                .isEqualTo(java.util.Map.of("zone", "r1", "pool", "ml"));
        assertThat(registry.changeLabels("a", own, java.util.Map.of("zone", "r2"), java.util.Set.of("nosuch")))
                .as("from those asked before").isEqualTo(java.util.Map.of("zone", "r2", "pool", "ml"));
        assertThat(registry.changeLabels("a", own, java.util.Map.of(), java.util.Set.of("zone", "pool"))).isEmpty();
        assertThat(registry.labelsAsked()).containsEntry("a", java.util.Map.of());

        var many = new java.util.HashMap<String, String>();
        for (int i = 0; i < 33; i++) {
            many.put("k" + i, "v");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> registry.changeLabels("a", own, many, java.util.Set.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("labels: 33 labels; at most 32 are allowed");
        assertThat(registry.labelsAsked()).as("nothing changed").containsEntry("a", java.util.Map.of());
    }

    @Test
    void housekeepingTakesInWhatProducersXaddedCheckedAgainstTheClustersLimits() {
        redis.cli("XADD", "{" + prefix + "}:submit", "*", "command", "[\"true\"]", "runtime", "process");
        redis.cli("XADD", "{" + prefix + "}:submit", "*", "command", "[\"true\"]", "runtime", "gvisor");
        var limits = SpecLimits.forNode(2, 4096, 0, Set.of("process"));

        int handled = queue.housekeeping(new JobSpecValidator(limits)::validate);

        assertThat(handled).isEqualTo(2);
        assertThat(queue.list(JobQuery.all(10)).jobs()).singleElement().satisfies(job -> {
            assertThat(job.state()).isEqualTo(JobState.QUEUED);
            assertThat(job.spec()).isEqualTo(JobSpec.builder().command("true").runtime("process").build());
        });
        assertThat(queue.deadLetters(10)).singleElement()
                .satisfies(dead -> assertThat(dead.fields().get("reason")).contains("runtime").contains("gvisor"));
    }
}
