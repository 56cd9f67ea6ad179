package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.client.HangarApiException;
import dev.hangar.client.HangarClient;
import dev.hangar.core.cluster.DrainAsk;
import dev.hangar.core.cluster.LabelAsk;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.JobSpec;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.server.auth.TokensFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code PUT} and {@code DELETE /v1/nodes/{id}/drain} and {@code /v1/nodes/{id}/labels} of a cluster's server, with tokens. */
class NodeAsksApiTest {
    private static final String TEAM = "token-of-team-a-0123456789";
    private static final String OPS = "token-of-the-operators-0123";

    @TempDir
    Path dir;
    private final dev.hangar.queue.testkit.InMemoryNodeRegistry registry = new dev.hangar.queue.testkit.InMemoryNodeRegistry();
    private final ClusterNodes nodes = new ClusterNodes(registry);
    private SqliteQueueBackend queue;
    private HangarServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        queue.close();
        nodes.close();
    }

    private HangarClient start(NodeView view) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "team-a " + TEAM + "\nops " + OPS + " admin\n");
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        server = new HangarServer(queue, view, Optional.of(TokensFile.open(tokens, Duration.ZERO))).start("127.0.0.1", 0);
        return client(OPS);
    }

    private HangarClient client(String token) {
        return new HangarClient(URI.create("http://127.0.0.1:" + server.port()), Duration.ofSeconds(10), token);
    }

    /**
     * A heartbeat made now; draining, it names the ask the registry holds, as an agent does; {@code draining}
     * null as an agent older than draining sends it.
     */
    private void beat(String name, int runningJobs, Boolean draining) {
        beat(name, runningJobs, draining, Instant.now(), Boolean.TRUE.equals(draining) ? registry.drainAsked().get(name) : null);
    }

    /** A heartbeat made at {@code at} by the agent's clock, naming the ask it saw (null: none, or an agent older than that). */
    private void beat(String name, int runningJobs, Boolean draining, Instant at, Instant askSeen) {
        var capacity = new NodeStatus.Capacity(8, 8192, 0);
        registry.heartbeat(new NodeStatus(name, capacity, new NodeStatus.Load(runningJobs, 8 - runningJobs, 8192, 0), 2,
                List.of(ClusterNodesTest.runtime("process", true)), Set.of(), null, false, at, List.of(), null, draining,
                askSeen), Duration.ofSeconds(10));
    }

    @Test
    void aDrainedNodeIsShownDrainingThenDrainedAndAJobOnlyItCouldTakeWaitsSayingSo() throws Exception {
        beat("a", 1, false);
        nodes.poll();
        HangarClient ops = start(nodes);
        List<NodeInfo> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        nodes.watchNodes(told::add);

        NodeInfo asked = ops.drainNode("a");
        assertThat(asked.drain()).as("it has not seen the ask yet").isEqualTo(NodeInfo.Drain.ASKED);
        assertThat(told).as("told at once").singleElement().satisfies(node -> assertThat(node.drain()).isEqualTo(NodeInfo.Drain.ASKED));
        String id = queue.enqueue(JobSpec.of("true")).job().id();
        assertThat(ops.status(id).waiting()).isEqualTo("only nodes asked to drain could run it, and they take no more jobs: a");

        beat("a", 1, true); // it has seen the ask; its job still runs
        nodes.poll();
        assertThat(ops.nodes()).singleElement().satisfies(node -> assertThat(node.drain()).isEqualTo(NodeInfo.Drain.DRAINING));
        beat("a", 0, true);
        nodes.poll();
        assertThat(ops.nodes()).singleElement().satisfies(node -> assertThat(node.drain()).isEqualTo(NodeInfo.Drain.DRAINED));

        beat("b", 0, false);
        nodes.poll();
        assertThat(ops.status(id).waiting()).as("another node takes it").isNull();

        assertThat(ops.resumeNode("a")).hasValueSatisfying(node -> assertThat(node.drain()).isNull());
        assertThat(registry.drainAsked()).isEmpty();
        assertThat(told).last().satisfies(node -> assertThat(node.name()).isEqualTo("a"))
                .satisfies(node -> assertThat(node.drain()).isNull());
    }

    @Test
    void aHeartbeatThatSawAnEarlierAskSaysNothingOfThisOneWhateverTheClocksSay() throws Exception {
        // it drained for an earlier ask, taken back since; its next heartbeat would still say so. The
        // agent's clock runs a minute ahead of the server's: its heartbeat seems made after this ask
        beat("a", 0, true, Instant.now().plusSeconds(60), Instant.now().minusSeconds(30));
        nodes.poll();
        HangarClient ops = start(nodes);
        assertThat(ops.drainNode("a").drain()).as("not DRAINED from the old heartbeat").isEqualTo(NodeInfo.Drain.ASKED);
        nodes.poll();
        assertThat(ops.nodes()).singleElement().satisfies(node -> assertThat(node.drain()).isEqualTo(NodeInfo.Drain.ASKED));

        // its clock a minute behind: the heartbeat that saw this ask seems made before it
        beat("a", 0, true, Instant.now().minusSeconds(60), registry.drainAsked().get("a"));
        nodes.poll();
        assertThat(ops.nodes()).singleElement().satisfies(node -> assertThat(node.drain()).isEqualTo(NodeInfo.Drain.DRAINED));
    }

    @Test
    void anAgentThatNamesNoAskIsToldByItsHeartbeatsTime() throws Exception {
        // as an agent of the release before heartbeats named the ask they saw
        beat("a", 0, true, Instant.now().minusSeconds(1), null);
        nodes.poll();
        HangarClient ops = start(nodes);
        assertThat(ops.drainNode("a").drain()).as("not DRAINED from a heartbeat made before the ask").isEqualTo(NodeInfo.Drain.ASKED);
        beat("a", 0, true, Instant.now().plusSeconds(1), null);
        nodes.poll();
        assertThat(ops.nodes()).singleElement().satisfies(node -> assertThat(node.drain()).isEqualTo(NodeInfo.Drain.DRAINED));
    }

    @Test
    void drainingNeedsAnAdminAKnownNodeThatCanDrainAndNoPost() throws Exception {
        beat("a", 0, false);
        nodes.poll();
        HangarClient ops = start(nodes);

        assertThatThrownBy(() -> client(TEAM).drainNode("a")).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("draining it needs an admin token")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(403));
        assertThatThrownBy(() -> ops.drainNode("b")).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("no node named 'b' is up; nodes up: a")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(404));
        // a POST without a body, which any web page may send unasked, is no way to drain
        HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.port() + "/v1/nodes/a/drain")).header("Authorization", "Bearer " + OPS)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(registry.drainAsked()).as("nothing asked").isEmpty();

        beat("old", 0, null);
        nodes.poll();
        assertThatThrownBy(() -> ops.drainNode("old")).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("runs an agent older than draining")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(409));

        registry.drain("gone", Instant.now()); // asked of a node since lost
        assertThat(ops.resumeNode("gone")).as("204: not up").isEmpty();
        assertThat(registry.drainAsked()).isEmpty();
    }

    @Test
    void theAsksKeptAreListedForNodesUpOrNotUntilTakenBack() throws Exception {
        beat("b", 0, false);
        beat("a", 1, false);
        nodes.poll();
        HangarClient ops = start(nodes);
        assertThat(client(TEAM).drainAsks()).as("none yet; any token may read them, as the nodes").isEmpty();

        ops.drainNode("a");
        Instant askedAt = registry.drainAsked().get("a");
        assertThat(ops.drainAsks()).containsExactly(new DrainAsk("a", askedAt, true));

        registry.leave("a"); // stopped for its maintenance: no longer in /v1/nodes, still asked
        nodes.poll();
        assertThat(ops.nodes()).extracting(NodeInfo::name).containsExactly("b");
        assertThat(client(TEAM).drainAsks()).containsExactly(new DrainAsk("a", askedAt, false));

        assertThat(ops.resumeNode("a")).isEmpty();
        assertThat(ops.drainAsks()).isEmpty();
    }

    @Test
    void aServerWithItsOneNodeRefusesToDrainOrRelabelItAndListsNoAsk() throws Exception {
        HangarClient ops = start(new TestNode());
        assertThatThrownBy(() -> ops.drainNode("n1")).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("stop it instead")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(409));
        assertThat(ops.drainAsks()).isEmpty();
        assertThat(ops.labelAsks()).isEmpty();
        assertThatThrownBy(() -> ops.setNodeLabels("n1", Map.of("zone", "r1"))).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("takes its labels from --label when it starts")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(409));
    }

    /** A heartbeat of an agent that has these labels, its own. */
    private void beatWith(String name, Map<String, String> labels) {
        beatWith(name, labels, null);
    }

    /** A heartbeat of an agent that has these labels; {@code own}: its own, in place of which it has them (null: they are). */
    private void beatWith(String name, Map<String, String> labels, Map<String, String> own) {
        var capacity = new NodeStatus.Capacity(8, 8192, 0);
        registry.heartbeat(new NodeStatus(name, capacity, new NodeStatus.Load(0, 8, 8192, 0), 2,
                List.of(ClusterNodesTest.runtime("process", true)), Set.of(), null, false, Instant.now(), List.of(), null,
                false, null, labels, own), Duration.ofSeconds(10));
    }

    @Test
    void anAdminGivesANodeLabelsInPlaceOfItsOwnWhichItShowsOnceItTakesThemAndItsOwnAgainOnceReset() throws Exception {
        beatWith("a", Map.of("zone", "r1"));
        nodes.poll();
        HangarClient ops = start(nodes);
        List<NodeInfo> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        nodes.watchNodes(told::add);

        NodeInfo asked = ops.setNodeLabels("a", Map.of("zone", "r2", "rack", "7"));
        assertThat(asked.labels()).as("not taken yet: its next heartbeat does").isEqualTo(Map.of("zone", "r1"));
        assertThat(client(TEAM).labelAsks()).as("any token may read them, as the nodes")
                .containsExactly(new LabelAsk("a", Map.of("zone", "r2", "rack", "7"), true));
        assertThat(registry.labelsAsked()).containsEntry("a", Map.of("zone", "r2", "rack", "7"));
        beatWith("a", Map.of("zone", "r2", "rack", "7"));
        nodes.poll();
        assertThat(ops.nodes()).singleElement().satisfies(node -> assertThat(node.labels())
                .isEqualTo(Map.of("zone", "r2", "rack", "7")));
        assertThat(told).as("told, for the dashboard").last().satisfies(node -> assertThat(node.labels())
                .containsEntry("zone", "r2"));
        // a selector is now checked against the labels the node has taken
        assertThat(ops.submit(JobSpec.builder().command("true").nodeSelector(Map.of("zone", "r2")).build()).id()).isNotBlank();

        assertThat(ops.setNodeLabels("a", Map.of()).name()).as("none, asked").isEqualTo("a");
        assertThat(registry.labelsAsked()).containsEntry("a", Map.of());
        assertThat(ops.resetNodeLabels("a")).isPresent();
        assertThat(registry.labelsAsked()).as("its own again").doesNotContainKey("a");
        registry.relabel("gone", Map.of("zone", "r1")); // asked of a node since lost
        assertThat(ops.labelAsks()).containsExactly(new LabelAsk("gone", Map.of("zone", "r1"), false));
        assertThat(ops.resetNodeLabels("gone")).as("204: not up").isEmpty();
        assertThat(registry.labelsAsked()).isEmpty();
    }

    @Test
    void aPatchSetsAndTakesAwayLabelsFromThoseAskedBeforeOrElseFromThoseTheNodeHas() throws Exception {
        beatWith("a", Map.of("zone", "r1", "rack", "7"));
        nodes.poll();
        HangarClient ops = start(nodes);
        var changes = new java.util.HashMap<String, String>(Map.of("pool", "ml"));
        changes.put("rack", null);

        assertThat(ops.changeNodeLabels("a", changes)).as("from its own")
                .isEqualTo(new LabelAsk("a", Map.of("zone", "r1", "pool", "ml"), true));
        assertThat(ops.changeNodeLabels("a", Map.of("zone", "r2"))).as("from those asked, not yet taken")
                .isEqualTo(new LabelAsk("a", Map.of("zone", "r2", "pool", "ml"), true));
        assertThat(registry.labelsAsked()).containsEntry("a", Map.of("zone", "r2", "pool", "ml"));

        var many = new java.util.HashMap<String, String>();
        for (int i = 0; i < 31; i++) {
            many.put("k" + i, "v");
        }
        assertThatThrownBy(() -> ops.changeNodeLabels("a", many)).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("labels: would leave the node 33 labels; at most 32 are allowed")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(400));
        var badKey = new java.util.HashMap<String, String>();
        badKey.put("-rack", null);
        assertThatThrownBy(() -> ops.changeNodeLabels("a", badKey)).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("labels: a label's key must be");
        assertThatThrownBy(() -> ops.changeNodeLabels("b", Map.of("zone", "r1"))).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("no node named 'b' is up")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(404));
        assertThatThrownBy(() -> client(TEAM).changeNodeLabels("a", Map.of("zone", "r1")))
                .isInstanceOf(HangarApiException.class).hasMessageContaining("needs an admin token");
        assertThat(registry.labelsAsked()).as("nothing changed by a refusal").containsEntry("a", Map.of("zone", "r2", "pool", "ml"));
    }

    @Test
    void aPatchRightAfterAResetStartsFromTheNodesOwnLabelsNotThoseItStillShows() throws Exception {
        beatWith("a", Map.of("zone", "r2"), Map.of("zone", "r1")); // it has taken zone=r2 in place of its own zone=r1
        nodes.poll();
        HangarClient ops = start(nodes);

        assertThat(ops.resetNodeLabels("a")).as("the ask dropped; the node shows zone=r2, asked, until its next heartbeat")
                .hasValueSatisfying(node -> assertThat(node.labelsAsked()).isTrue());
        // without the fix: zone=r2 and rack=7, labels no one asked for any longer
        assertThat(ops.changeNodeLabels("a", Map.of("rack", "7")))
                .isEqualTo(new LabelAsk("a", Map.of("zone", "r1", "rack", "7"), true));
    }

    @Test
    void relabellingNeedsAnAdminANodeUpAndLabelsThatAreLabelsEachRefusalNamingTheField() throws Exception {
        beatWith("a", Map.of());
        nodes.poll();
        HangarClient ops = start(nodes);

        assertThatThrownBy(() -> client(TEAM).setNodeLabels("a", Map.of("zone", "r1"))).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("relabelling it needs an admin token")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(403));
        assertThatThrownBy(() -> ops.setNodeLabels("b", Map.of("zone", "r1"))).isInstanceOf(HangarApiException.class)
                .hasMessageContaining("no node named 'b' is up; nodes up: a")
                .satisfies(e -> assertThat(((HangarApiException) e).status()).isEqualTo(404));
        for (var bad : Map.of(
                "{\"labels\": {\"zone\": \"r 1\"}}", "labels.zone",
                "{\"labels\": {\"-zone\": \"r1\"}}", "labels",
                "{\"labels\": {\"zone\": null}}", "labels.zone",
                "{\"labels\": [\"zone=r1\"]}", "labels",
                "{}", "labels",
                "{\"zone\": \"r1\"}", "zone").entrySet()) {
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + server.port() + "/v1/nodes/a/labels")).header("Authorization", "Bearer " + OPS)
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(bad.getKey())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(bad.getKey()).isEqualTo(400);
            assertThat(dev.hangar.core.json.Json.mapper().readTree(answer.body()).path("errors").path(0).path("field").asText())
                    .as(answer.body()).isEqualTo(bad.getValue());
        }
        assertThat(registry.labelsAsked()).as("nothing asked").isEmpty();
    }
}
