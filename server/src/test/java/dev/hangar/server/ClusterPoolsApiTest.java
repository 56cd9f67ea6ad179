package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /v1/pools} of a cluster's server over HTTP: its nodes' pools from their heartbeats, read-only. */
class ClusterPoolsApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PoolSpec SMALL = new PoolSpec("small", "process", null, 1.0, 256L, 2, 8, 60);

    @TempDir
    Path dir;
    private final dev.hangar.queue.testkit.InMemoryNodeRegistry registry = new dev.hangar.queue.testkit.InMemoryNodeRegistry();
    private final ClusterNodes nodes = new ClusterNodes(registry);
    private final HttpClient http = HttpClient.newHttpClient();
    private SqliteQueueBackend queue;
    private HangarServer server;

    record Answer(int status, JsonNode body, String allow) {}

    @BeforeEach
    void start() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        server = new HangarServer(queue, nodes).start("127.0.0.1", 0);
        server.servePools(new ClusterPools(nodes::statuses));
    }

    @AfterEach
    void stop() {
        server.close();
        queue.close();
        nodes.close();
    }

    private static PoolStatus pool(PoolSpec spec, int ready, int inUse, long served, String limitedBy) {
        return new PoolStatus(spec, ready, 0, inUse, served, 1, 0, 0, 0, 0, spec.min(), ready * spec.memoryMb(), limitedBy,
                null);
    }

    private void heartbeat(String name, List<PoolStatus> pools, PoolsView.Budget budget) {
        var capacity = new NodeStatus.Capacity(8, 8192, 0);
        registry.heartbeat(new NodeStatus(name, capacity, NodeStatus.Load.idle(capacity), 2, List.of(), Set.of(),
                MountPolicy.none(), false, Instant.now(), pools, budget, false, null), Duration.ofSeconds(10));
    }

    private Answer send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body().isEmpty() ? null : JSON.readTree(response.body()),
                response.headers().firstValue("Allow").orElse(null));
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    }

    @Test
    void aPoolKeptOnSeveralNodesIsShownOnceWithItsCountsAndBudgetsSummed() throws Exception {
        var gpu = new PoolSpec("gpu", "podman", "busybox", 2.0, 1024L, 1, 2, 60);
        heartbeat("node-b", List.of(pool(SMALL, 1, 1, 7, "the node's memory budget")), new PoolsView.Budget(1024, 512));
        heartbeat("node-a", List.of(pool(SMALL, 2, 0, 5, null), pool(gpu, 1, 0, 0, "a made-up reason")),
                new PoolsView.Budget(4096, 1536));
        heartbeat("node-c", List.of(), new PoolsView.Budget(2048, 0)); // every agent has a budget, pools or not
        nodes.poll();

        Answer list = send(request("/v1/pools").GET());

        assertThat(list.status()).as("%s", list).isEqualTo(200);
        assertThat(list.body().path("budget").path("memoryMb").asLong()).isEqualTo(5120);
        assertThat(list.body().path("budget").path("heldMb").asLong()).isEqualTo(2048);
        assertThat(list.body().path("pools")).hasSize(2);
        JsonNode small = list.body().path("pools").get(1);
        assertThat(small.path("spec").path("name").asText()).isEqualTo("small");
        assertThat(small.path("spec").path("min").asInt()).as("what the cluster keeps").isEqualTo(4);
        assertThat(small.path("spec").path("max").asInt()).isEqualTo(16);
        assertThat(small.path("ready").asInt()).isEqualTo(3);
        assertThat(small.path("inUse").asInt()).isEqualTo(1);
        assertThat(small.path("served").asLong()).isEqualTo(12);
        assertThat(small.path("missed").asLong()).isEqualTo(2);
        assertThat(small.path("target").asInt()).isEqualTo(4);
        assertThat(small.path("memoryHeldMb").asLong()).isEqualTo(768);
        assertThat(small.path("limitedBy").asText()).isEqualTo("node-b: the node's memory budget");

        Answer one = send(request("/v1/pools/gpu").GET());
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body().path("spec").path("runtime").asText()).isEqualTo("podman");
        assertThat(one.body().path("ready").asInt()).isEqualTo(1);
        assertThat(one.body().path("limitedBy").asText()).as("kept on one node").isEqualTo("node-a: a made-up reason");
        assertThat(send(request("/v1/pools/none").GET()).status()).isEqualTo(404);
    }

    @Test
    void aLostNodesPoolsAreNoLongerShown() throws Exception {
        heartbeat("node-a", List.of(pool(SMALL, 2, 0, 5, null)), new PoolsView.Budget(4096, 512));
        nodes.poll();
        assertThat(send(request("/v1/pools").GET()).body().path("pools")).hasSize(1);

        registry.leave("node-a");
        nodes.poll();

        Answer list = send(request("/v1/pools").GET());
        assertThat(list.body().path("pools")).isEmpty();
        assertThat(list.body().path("budget").path("memoryMb").asLong()).isZero();
    }

    @Test
    void aPoolsCountersNeverGoDownWhenANodeRestartsOrIsLost() throws Exception {
        heartbeat("node-a", List.of(pool(SMALL, 2, 0, 5, null)), new PoolsView.Budget(4096, 512));
        heartbeat("node-b", List.of(pool(SMALL, 2, 0, 7, null)), new PoolsView.Budget(4096, 512));
        nodes.poll();
        assertThat(served()).isEqualTo(12);

        heartbeat("node-b", List.of(pool(SMALL, 2, 0, 1, null)), new PoolsView.Budget(4096, 512)); // restarted
        nodes.poll();
        assertThat(served()).as("node-b's 7 before its restart, and its 1 since").isEqualTo(13);

        registry.leave("node-b");
        nodes.poll();
        assertThat(served()).as("node-b lost: what it counted stays counted").isEqualTo(13);

        heartbeat("node-b", List.of(pool(SMALL, 2, 0, 3, null)), new PoolsView.Budget(4096, 512)); // back, counting on
        nodes.poll();
        assertThat(served()).isEqualTo(15);
    }

    private long served() throws Exception {
        return send(request("/v1/pools/small").GET()).body().path("served").asLong();
    }

    @Test
    void changesAreRefusedWith405SayingWherePoolsAreSetAndNothingChanges() throws Exception {
        heartbeat("node-a", List.of(pool(SMALL, 2, 0, 5, null)), new PoolsView.Budget(4096, 512));
        nodes.poll();

        Answer put = send(request("/v1/pools/small").header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"runtime\": \"process\", \"min\": 1, \"max\": 2}")));
        Answer badPut = send(request("/v1/pools/small").header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("not json")));
        Answer delete = send(request("/v1/pools/small").DELETE());

        for (Answer refused : List.of(put, badPut, delete)) {
            assertThat(refused.status()).as("%s", refused).isEqualTo(405);
            assertThat(refused.allow()).isEqualTo("GET");
            assertThat(refused.body().path("detail").asText()).contains("hangar agent --pool");
        }
        assertThat(send(request("/v1/pools/small").GET()).body().path("ready").asInt()).isEqualTo(2);
    }

    @Test
    void theMetricsShowTheClustersPoolsForTheDashboard() throws Exception {
        heartbeat("node-a", List.of(pool(SMALL, 2, 0, 5, null)), new PoolsView.Budget(4096, 512));
        heartbeat("node-b", List.of(pool(SMALL, 3, 0, 5, null)), new PoolsView.Budget(4096, 768));
        nodes.poll();

        String text = http.send(request("/metrics").GET().build(), HttpResponse.BodyHandlers.ofString()).body();

        assertThat(text).contains("hangar_pool_sandboxes{pool=\"small\",runtime=\"process\"} 5.0");
    }
}
