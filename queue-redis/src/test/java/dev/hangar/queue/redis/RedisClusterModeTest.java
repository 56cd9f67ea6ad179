package dev.hangar.queue.redis;

import static dev.hangar.queue.testkit.TestJobs.selection;
import static dev.hangar.queue.testkit.TestJobs.spec;
import static dev.hangar.queue.testkit.TestJobs.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.queue.QueueListener;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The queue on a Redis Cluster of three masters, beyond the contract (RedisClusterQueueBackendTest):
 * where its keys live, and a queue whose slot moves to another node while it runs.
 */
class RedisClusterModeTest {
    @RegisterExtension
    static final RedisClusterExtension CLUSTER = new RedisClusterExtension();

    private RedisClusterProcess cluster;

    @BeforeEach
    void cluster() {
        cluster = CLUSTER.cluster();
    }

    @Test
    void eachQueueLivesWhollyOnTheNodeThatServesItsSlot() {
        String a = "keys-a";
        RedisServerProcess nodeOfA = cluster.serving(cluster.slotOf(a));
        String b = "keys-b";
        for (int i = 0; cluster.serving(cluster.slotOf(b)) == nodeOfA; i++) {
            b = "keys-b" + i; // a queue whose slot another node serves
        }
        try (RedisQueueBackend queueA = open(a); RedisQueueBackend queueB = open(b)) {
            for (RedisQueueBackend queue : List.of(queueA, queueB)) {
                queue.enqueue(spec("waiting"));
                QueueRuns.runOne(queue, "w1");
            }
            for (RedisServerProcess node : cluster.nodes()) {
                for (String prefix : List.of(a, b)) {
                    String keys = node.cli("--scan", "--pattern", "{" + prefix + "}:*");
                    if (node == cluster.serving(cluster.slotOf(prefix))) {
                        assertThat(keys).as("%s on the node serving it", prefix).contains("{" + prefix + "}:job:");
                    } else {
                        assertThat(keys).as("%s on another node", prefix).isEmpty();
                    }
                }
            }
        }
    }

    @Test
    void aQueueFollowsItsSlotToANodeThatLackedItsFunctionsAndLosesNothing() {
        String prefix = "moving";
        try (RedisQueueBackend queue = open(prefix)) {
            Set<String> heard = ConcurrentHashMap.newKeySet();
            queue.subscribe(new QueueListener() {
                @Override
                public void jobChanged(Job job) {
                    heard.add(job.spec().name() + " " + job.state());
                }
            });
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ids.add(queue.enqueue(spec("before-" + i)).job().id());
            }
            Lease held = queue.lease(worker("w1")).orElseThrow();
            assertThat(queue.started(held, "node-1", selection("process"), null)).isTrue();

            int slot = cluster.slotOf(prefix);
            RedisServerProcess from = cluster.serving(slot);
            RedisServerProcess to = cluster.nodes().stream().filter(node -> node != from).findFirst().orElseThrow();
            to.cli("FUNCTION", "FLUSH"); // as a node that joined the cluster after the queue opened
            cluster.move(slot, to);
            assertThat(from.cli("--scan", "--pattern", "{" + prefix + "}:*")).isEmpty();

            // the lease held across the move, the jobs that waited and a new one all end on the new node
            assertThat(queue.finish(held, Outcome.succeeded(0, false))).isPresent();
            ids.add(queue.enqueue(spec("after")).job().id());
            assertThat(QueueRuns.runAll(queue, "w2")).isEqualTo(4);
            assertThat(ids).allSatisfy(id -> assertThat(queue.get(id).orElseThrow().state()).as(id)
                    .isEqualTo(JobState.SUCCEEDED));
            assertThat(to.cli("FUNCTION", "LIST")).contains("hangar_");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(heard).as("the listener follows the change stream to its new node")
                            .contains("before-0 SUCCEEDED", "after SUCCEEDED"));
        }
    }

    @Test
    void aForeignProducerSubmitsThroughAnyNodeAndAgentsHeartbeatOnTheCluster() throws InterruptedException {
        String prefix = "wire";
        try (RedisQueueBackend queue = open(prefix)) {
            RedisServerProcess serving = cluster.serving(cluster.slotOf(prefix));
            RedisServerProcess other = cluster.nodes().stream().filter(node -> node != serving).findFirst().orElseThrow();
            // redis-cli -c follows the redirect to the node that serves the stream's slot
            other.cli("-c", "XADD", "{" + prefix + "}:submit", "*", "command", "[\"echo\",\"hi\"]", "name", "from-cli");

            assertThat(queue.intake(10)).isEqualTo(1);
            assertThat(queue.list(JobQuery.all(10)).jobs()).singleElement().satisfies(job -> {
                assertThat(job.spec().name()).isEqualTo("from-cli");
                assertThat(job.state()).isEqualTo(JobState.QUEUED);
            });
            NodeRegistry registry = queue.nodeRegistry().orElseThrow();
            registry.heartbeat(RedisClusterSupportTest.node("gpu-1", 2), Duration.ofSeconds(10));
            registry.heartbeat(RedisClusterSupportTest.node("brief", 0), Duration.ofMillis(1));
            Thread.sleep(50); // its key expires, and the reader drops its name with a script on the slot's master
            assertThat(registry.nodes()).singleElement().satisfies(node -> {
                assertThat(node.name()).isEqualTo("gpu-1");
                assertThat(node.load().runningJobs()).isEqualTo(2);
            });
        }
    }

    @Test
    void aClusterLocationIsCheckedFieldByField() {
        assertThat(RedisSettings.parse(URI.create("redis-cluster://u:s3cret@a:7000,b/?prefix=p&nodes=[::1],[::2]:7001"))
                .where()).isEqualTo("redis-cluster://a:7000,b:6379,[::1]:6379,[::2]:7001 (prefix p)");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-cluster://a:7000/2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database 0 only");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-cluster://a:7000/?replicas=1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("replicas:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-cluster://u:s3cret@a:7000,b:x/")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("cluster node 2 of 2:")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis://h:6379/?nodes=b:7000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("nodes:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-cluster://a:7000/?master=m")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("master:");
        var node = RedisSettings.parse(URI.create("redis-cluster://u:s3cret@a:7000,b:7001/")).clusterNodes().get(1);
        var login = node.getCredentialsProvider().resolveCredentials().block();
        assertThat(login.getUsername()).isEqualTo("u");
        assertThat(new String(login.getPassword())).as("every node gets the credentials").isEqualTo("s3cret");
    }

    @Test
    void aClusterThatCannotBeReachedIsNamedWithoutItsCredentials() throws Exception {
        int down;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            down = socket.getLocalPort();
        }
        URI location = URI.create("redis-cluster://watcher:s3cret@127.0.0.1:" + down + "/?timeout=PT2S");
        assertThatThrownBy(() -> RedisQueueBackend.open(location, Clock.systemUTC()))
                .isInstanceOf(dev.hangar.core.queue.QueueException.class)
                .hasMessageContaining("cannot connect to the queue at redis-cluster://127.0.0.1:" + down)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("watcher").doesNotContain("s3cret"));
    }

    private RedisQueueBackend open(String prefix) {
        return RedisQueueBackend.open(cluster.uri("prefix=" + prefix + "&timeout=PT5S"), Clock.systemUTC());
    }
}
