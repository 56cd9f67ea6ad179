package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.cluster.DrainAsk;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.json.Json;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code hangar nodes} and {@code hangar nodes drain} against a stand-in for the server whose node list
 * changes from look to look as a cluster's would: how long a drain waits, what it says and how it ends.
 */
class NodesCommandTest {
    private static final NodeInfo.Capacity CAPACITY = new NodeInfo.Capacity(8, 8192, 0);
    /** What a server older than a list answers. */
    private static final StandInApi.Answer NOT_FOUND = new StandInApi.Answer(404,
            Json.write(java.util.Map.of("title", "Not Found", "status", 404)));

    private StandInApi server;
    /** The node as the PUT answers it. */
    private volatile NodeInfo asked;
    /** What each GET of the nodes answers in turn; the last stays. */
    private final ConcurrentLinkedQueue<List<NodeInfo>> looks = new ConcurrentLinkedQueue<>();
    private volatile List<NodeInfo> lastLook = List.of();
    private final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The asks to drain kept; null: a server older than that list (404). */
    private volatile List<DrainAsk> asks = List.of();
    /** What a PATCH of a node's labels answers: the labels asked from then on. */
    private volatile dev.hangar.core.cluster.LabelAsk changedTo;
    /** The labels asked of nodes; null: a server older than that list (404). */
    private volatile List<dev.hangar.core.cluster.LabelAsk> labelAsks = List.of();

    @BeforeEach
    void serve() throws IOException {
        server = new StandInApi("/v1/nodes", (method, path) -> {
            requests.add(method + " " + path);
            if (path.equals("/v1/nodes/drains")) {
                return asks == null ? NOT_FOUND : new StandInApi.Answer(200, Json.write(asks));
            }
            if (path.equals("/v1/nodes/labels")) {
                return labelAsks == null ? NOT_FOUND : new StandInApi.Answer(200, Json.write(labelAsks));
            }
            if (method.equals("PATCH")) {
                return new StandInApi.Answer(200, Json.write(changedTo));
            }
            if (method.equals("PUT") || method.equals("DELETE")) {
                return new StandInApi.Answer(200, Json.write(asked));
            }
            List<NodeInfo> next = looks.poll();
            lastLook = next == null ? lastLook : next;
            return new StandInApi.Answer(200, Json.write(lastLook));
        });
    }

    @AfterEach
    void stopServing() {
        server.close();
    }

    private static NodeInfo node(NodeInfo.Drain drain, int running) {
        return new NodeInfo("n1", NodeInfo.State.JOINED, CAPACITY, List.of("process"),
                new NodeInfo.Load(running, 8 - running, 8192, 0), Instant.parse("2026-12-01T00:00:00Z"), List.of(), false, drain);
    }

    private StandInApi.Printed drain(String... options) {
        var command = new NodesCommand.Drain();
        command.seenWithin = Duration.ofMillis(1500);
        command.goneAfter = Duration.ofMillis(1000);
        command.lookEvery = Duration.ofMillis(20);
        List<String> args = new ArrayList<>(List.of("n1"));
        args.addAll(List.of(options));
        return run(command, args);
    }

    private StandInApi.Printed run(Object command, List<String> arguments) {
        List<String> args = new ArrayList<>(arguments);
        args.addAll(List.of("--url", server.url()));
        return StandInApi.capture(() -> new CommandLine(command).execute(args.toArray(String[]::new)));
    }

    @Test
    void theServerTokenAndJsonGivenBeforeASubcommandAreItsToo() {
        asked = node(null, 0);

        // it went to the default server (or $HANGAR_URL's), as if --url had not been given
        StandInApi.Printed run = StandInApi.capture(() -> Main.run("nodes", "--url", server.url(), "--json", "--token",
                "t0k3n", "resume", "n1"));

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(requests).as("%s", run).isNotEmpty();
        assertThat(Json.read(run.out(), NodeInfo.class).name()).as("%s", run).isEqualTo("n1");
        StandInApi.Printed own = StandInApi.capture(() -> Main.run("nodes", "--url", "http://127.0.0.1:1", "resume", "n1",
                "--url", server.url()));
        assertThat(own.exitCode()).as("the subcommand's own, given after it, wins; %s", own).isZero();
    }

    @Test
    void theListNamesTheNodesAskedToDrainThatAreNotUp() {
        looks.add(List.of(node(NodeInfo.Drain.DRAINED, 0)));
        asks = List.of(new DrainAsk("gpu-07", Instant.parse("2026-12-01T10:00:00Z"), false),
                new DrainAsk("n1", Instant.parse("2026-12-01T11:00:00Z"), true));

        StandInApi.Printed run = run(new NodesCommand(), List.of());

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).containsPattern("n1 +drained");
        assertThat(run.out()).contains("asked to drain, not up: gpu-07 (since 2026-12-01T10:00:00Z); each comes back"
                + " drained until 'hangar nodes resume NODE'");
    }

    @Test
    void theListShowsEachNodesLabelsByKey() {
        NodeInfo bare = node(null, 0);
        looks.add(List.of(new NodeInfo("gpu-07", NodeInfo.State.JOINED, CAPACITY, List.of("podman"), bare.load(),
                bare.heartbeatAt(), List.of(), true, null, java.util.Map.of("zone", "r1", "gpu-model", "a100")), bare));

        StandInApi.Printed run = run(new NodesCommand(), List.of());

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).containsPattern("NETWORK +LABELS +HEARTBEAT")
                .containsPattern("gpu-07 .* allowed +gpu-model=a100,zone=r1 +2026-12-01T00:00:00Z")
                .containsPattern("n1 .* none +- +2026-12-01T00:00:00Z");
    }

    @Test
    void theListSaysNothingOfAsksWhenNoneIsOfANodeNotUpOrTheServerCannotList() {
        looks.add(List.of(node(NodeInfo.Drain.DRAINED, 0)));
        asks = List.of(new DrainAsk("n1", Instant.parse("2026-12-01T11:00:00Z"), true));
        assertThat(run(new NodesCommand(), List.of()).out()).doesNotContain("not up");

        asks = null; // a server older than the list
        StandInApi.Printed run = run(new NodesCommand(), List.of());
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).containsPattern("n1 +drained").doesNotContain("not up");
    }

    @Test
    void itReturnsOnceTheNodeHasSeenTheAskSayingHowManyJobsAreLeftToFinish() {
        asked = node(NodeInfo.Drain.ASKED, 2);
        looks.add(List.of(node(NodeInfo.Drain.ASKED, 2)));
        looks.add(List.of(node(NodeInfo.Drain.DRAINING, 2)));

        StandInApi.Printed run = drain();

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).contains("node n1 is draining: it takes no more jobs; 2 running, left to finish"
                + " ('hangar jobs --node n1 --state STARTING,RUNNING' lists them;");
        assertThat(requests).as("it stopped looking once the node had seen it")
                .containsExactly("PUT /v1/nodes/n1/drain", "GET /v1/nodes", "GET /v1/nodes");
    }

    @Test
    void withWaitItReturnsOnlyOnceTheNodeRunsNoJob() {
        asked = node(NodeInfo.Drain.ASKED, 2);
        looks.add(List.of(node(NodeInfo.Drain.DRAINING, 2)));
        looks.add(List.of(node(NodeInfo.Drain.DRAINING, 1)));
        looks.add(List.of(node(NodeInfo.Drain.DRAINING, 1)));
        looks.add(List.of(node(NodeInfo.Drain.DRAINED, 0)));

        StandInApi.Printed run = drain("--wait");

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).contains("node n1 is drained: it takes no jobs and runs none; it may be stopped");
        assertThat(requests).as("it looked until the node was drained, and no more").hasSize(5);
    }

    @Test
    void aNodeThatHasNotSeenTheAskInTimeEndsWithOneSayingItMayStillTakeAJob() {
        asked = node(NodeInfo.Drain.ASKED, 0);
        looks.add(List.of(node(NodeInfo.Drain.ASKED, 0)));

        StandInApi.Printed run = drain();

        assertThat(run.exitCode()).as("%s", run).isEqualTo(1);
        assertThat(run.err()).contains("node n1 has not seen the ask within").contains("it may still take a job");
    }

    @Test
    void aNodeResumedWhileItIsWaitedForEndsWithOne() {
        asked = node(NodeInfo.Drain.ASKED, 1);
        looks.add(List.of(node(NodeInfo.Drain.DRAINING, 1)));
        looks.add(List.of(node(null, 1)));

        StandInApi.Printed run = drain("--wait");

        assertThat(run.exitCode()).as("%s", run).isEqualTo(1);
        assertThat(run.err()).contains("node n1 is no longer asked to drain ('hangar nodes resume' meanwhile?)");
    }

    @Test
    void aNodeGoneWhileItIsWaitedForEndsWithOneSayingItStaysAsked() {
        asked = node(NodeInfo.Drain.ASKED, 1);
        looks.add(List.of(node(NodeInfo.Drain.DRAINING, 1)));
        looks.add(List.of());

        StandInApi.Printed run = drain("--wait");

        assertThat(run.exitCode()).as("%s", run).isEqualTo(1);
        assertThat(run.err()).contains("node n1 is no longer up").contains("it stays asked to drain when it comes back");
    }

    @Test
    void aNodeMissingFromOneLookOnlyIsWaitedFor() {
        asked = node(NodeInfo.Drain.ASKED, 1);
        looks.add(List.of(node(NodeInfo.Drain.DRAINING, 1)));
        looks.add(List.of()); // a heartbeat late: listed again at the next look
        looks.add(List.of(node(NodeInfo.Drain.DRAINED, 0)));

        StandInApi.Printed run = drain("--wait");

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).contains("node n1 is drained");
    }

    @Test
    void aHeartbeatIsShownToTheSecondWithHowLongAgo() {
        var at = java.time.Instant.parse("2026-12-05T01:05:58.043599624Z");

        assertThat(NodesCommand.heartbeat(at, at.plusMillis(3_500))).isEqualTo("2026-12-05T01:05:58Z (3 s ago)");
        assertThat(NodesCommand.heartbeat(at, at.minusSeconds(2))).as("a node's clock ahead of this one's").endsWith("(0 s ago)");
        assertThat(NodesCommand.heartbeat(null, at)).isEqualTo("-");
    }

    private static NodeInfo labelled(java.util.Map<String, String> labels) {
        NodeInfo bare = node(null, 0);
        return new NodeInfo("n1", NodeInfo.State.JOINED, CAPACITY, List.of("process"), bare.load(), bare.heartbeatAt(),
                List.of(), false, null, labels);
    }

    private StandInApi.Printed label(String... arguments) {
        var command = new NodesCommand.Label();
        command.takenWithin = Duration.ofMillis(1000);
        command.lookEvery = Duration.ofMillis(20);
        return run(command, List.of(arguments));
    }

    @Test
    void eachChangeSetsALabelOrTakesItAwayTheLastOfAKeyStanding() {
        var expected = new java.util.TreeMap<String, String>(java.util.Map.of("zone", "r2", "pool", "ml"));
        expected.put("rack", null);
        assertThat(NodesCommand.Label.changes(List.of("zone=r1", "rack-", "pool=ml", "zone=r2"))).isEqualTo(expected);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NodesCommand.Label.changes(List.of("zone")))
                .hasMessage("hangar nodes label: 'zone' is not KEY=VALUE");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NodesCommand.Label.changes(List.of("-zone-")))
                .hasMessageStartingWith("hangar nodes label -zone-: a label's key must be");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NodesCommand.Label.changes(List.of("zone=r 2")))
                .hasMessageStartingWith("hangar nodes label zone=r 2: a label's value must be");
    }

    @Test
    void relabellingSendsTheChangesAloneAndReturnsOnceTheNodeHasTakenTheLabelsAsked() {
        changedTo = new dev.hangar.core.cluster.LabelAsk("n1", java.util.Map.of("zone", "r2", "pool", "ml"), true);
        looks.add(List.of(labelled(java.util.Map.of("zone", "r1", "rack", "7")))); // not taken yet
        looks.add(List.of(labelled(java.util.Map.of("zone", "r2", "pool", "ml"))));

        StandInApi.Printed run = label("n1", "zone=r2", "rack-", "pool=ml");

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).contains("node n1 has labels pool=ml,zone=r2");
        assertThat(server.bodies()).containsExactly(
                "PATCH /v1/nodes/n1/labels {\"labels\":{\"pool\":\"ml\",\"rack\":null,\"zone\":\"r2\"}}");
    }

    @Test
    void theListNamesTheNodesWhoseLabelsWereSetInPlaceOfTheirOwn() {
        looks.add(List.of(labelled(java.util.Map.of("zone", "r3"))));
        labelAsks = List.of(new dev.hangar.core.cluster.LabelAsk("n1", java.util.Map.of("zone", "r3"), true),
                new dev.hangar.core.cluster.LabelAsk("gpu-07", java.util.Map.of(), false));

        StandInApi.Printed run = run(new NodesCommand(), List.of());

        assertThat(run.out()).contains("labels set by 'hangar nodes label', in place of the nodes' --label ones: gpu-07 -;"
                + " n1 zone=r3 ('hangar nodes label NODE --reset' gives a node its own)");
        labelAsks = null; // a server older than the list
        assertThat(run(new NodesCommand(), List.of()).out()).doesNotContain("labels set by");
    }

    @Test
    void relabellingANodeThatDoesNotTakeTheLabelsSaysSoAndFails() {
        changedTo = new dev.hangar.core.cluster.LabelAsk("n1", java.util.Map.of("zone", "r2"), true);
        looks.add(List.of(labelled(java.util.Map.of())));

        StandInApi.Printed run = label("n1", "zone=r2");

        assertThat(run.exitCode()).as("%s", run).isEqualTo(1);
        assertThat(run.err()).contains("node n1 has not taken the labels within 1 s (is its agent cut off, or older than"
                + " relabelling?); it takes them when it comes back or catches up: zone=r2");
    }

    @Test
    void aResetReturnsOnceTheNodeHasBeatenTwiceSinceTheAnswerTheSecondHavingReadIt() {
        NodeInfo bare = node(null, 0);
        java.util.function.BiFunction<String, java.util.Map<String, String>, NodeInfo> beat = (at, labels) -> new NodeInfo("n1",
                NodeInfo.State.JOINED, CAPACITY, List.of("process"), bare.load(), Instant.parse(at), List.of(), false, null, labels);
        asked = beat.apply("2026-12-01T00:00:00Z", java.util.Map.of("zone", "r3"));
        looks.add(List.of(beat.apply("2026-12-01T00:00:00Z", java.util.Map.of("zone", "r3"))));
        looks.add(List.of(beat.apply("2026-12-01T00:00:03Z", java.util.Map.of("zone", "r3")))); // read before the reset
        looks.add(List.of(beat.apply("2026-12-01T00:00:06Z", java.util.Map.of("zone", "r1"))));

        StandInApi.Printed run = label("n1", "--reset");

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).contains("node n1 has its own labels again: zone=r1");
        assertThat(requests).contains("DELETE /v1/nodes/n1/labels");
    }

    @Test
    void aResetOfANodeWithAskedLabelsReturnsAtTheFirstHeartbeatWithItsOwn() {
        NodeInfo bare = node(null, 0);
        java.util.function.BiFunction<String, Boolean, NodeInfo> beat = (at, labelsAsked) -> new NodeInfo("n1",
                NodeInfo.State.JOINED, CAPACITY, List.of("process"), bare.load(), Instant.parse(at), List.of(), false, null,
                java.util.Map.of("zone", labelsAsked ? "r3" : "r1"), labelsAsked);
        asked = beat.apply("2026-12-01T00:00:00Z", true);
        looks.add(List.of(beat.apply("2026-12-01T00:00:00Z", true)));
        looks.add(List.of(beat.apply("2026-12-01T00:00:00.600Z", false))); // the beat of its look that found no ask

        StandInApi.Printed run = label("n1", "--reset");

        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).as("no second beat waited for").contains("node n1 has its own labels again: zone=r1");
    }

    @Test
    void relabellingNeedsChangesOrResetNotBoth() {
        assertThat(label("n1").err()).contains("give KEY=VALUE or KEY- changes, or --reset, not neither");
        assertThat(label("n1", "zone=r1", "--reset").err()).contains("not both");
        assertThat(requests).isEmpty();
    }
}
