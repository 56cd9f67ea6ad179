package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.Threading;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /v1/explain of a real server over HTTP, on a node view that reports three runtimes. */
class ExplainApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private HangarServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    /** A node view with fixed runtime records, as a probed node would report them. */
    static class ThreeRuntimesTestNode implements NodeView {
        @Override
        public List<RuntimeStatus> runtimes() {
            return List.of(runtime("gvisor", Isolation.SOFTWARE_KERNEL, 112), runtime("podman", Isolation.NAMESPACE, 300),
                    runtime("process", Isolation.NAMESPACE, 4));
        }

        @Override
        public SpecLimits limits() {
            return SpecLimits.forNode(2, 4096, 0, Set.of("gvisor", "podman", "process"));
        }

        private static RuntimeStatus runtime(String name, Isolation isolation, long startMs) {
            var caps = new RuntimeCapabilities(isolation, BootClass.FAST, 0, Threading.NATIVE, true, true, false, false,
                    false, false, false, Set.of(NetworkMode.NONE));
            return new RuntimeStatus(name, name, caps, RuntimeProbe.available(Duration.ofMillis(startMs), Map.of()));
        }
    }

    record Answer(int status, JsonNode body) {}

    @BeforeEach
    void start() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        server = new HangarServer(queue, new ThreeRuntimesTestNode()).start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        server.close();
        queue.close();
    }

    private Answer explain(String spec) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/explain"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(spec)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), JSON.readTree(response.body()));
    }

    private static List<String> rejections(JsonNode selection) {
        var out = new ArrayList<String>();
        selection.path("rejected").forEach(r -> out.add(r.path("runtime").asText() + "/" + r.path("rule").asText()));
        return out;
    }

    private static List<String> fields(JsonNode problem) {
        var out = new ArrayList<String>();
        problem.path("errors").forEach(e -> out.add(e.path("field").asText()));
        return out;
    }

    @Test
    void aTrustedJobGetsTheFastestMeasuredStartAndEveryRuntimeIsListedWithItsFigures() throws Exception {
        Answer answer = explain("{\"command\": [\"true\"]}");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.body().path("runtime").asText()).isEqualTo("process");
        assertThat(answer.body().path("reason").asText()).contains("fastest measured start").contains("4 ms");
        assertThat(rejections(answer.body())).containsExactly("gvisor/ranking", "podman/ranking");
        assertThat(answer.body().path("candidates")).hasSize(3);
        assertThat(answer.body().path("candidates").get(0).path("measuredStartMs").asLong()).isEqualTo(4);
        assertThat(answer.body().has("waiting")).as("a node up runs it").isFalse();
    }

    /** The answer to an explain of {@code true} by a server on these nodes. */
    private Answer explainATrueJobOn(NodeView nodes) throws Exception {
        server.close();
        server = new HangarServer(queue, nodes).start("127.0.0.1", 0);
        return explain("{\"command\": [\"true\"]}");
    }

    @Test
    void aJobThatOnlyANodeLostAWhileAgoCouldRunIsSaidToWait() throws Exception {
        Answer answer = explainATrueJobOn(new ThreeRuntimesTestNode() {
            @Override
            public java.util.Optional<String> waitingFor(JobSpec spec) {
                return java.util.Optional.of("no node that is up can run it: runtime: lost (test)");
            }
        });

        // it used to name the runtime alone, though a submit would sit in the queue
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.body().path("runtime").asText()).isEqualTo("process");
        assertThat(answer.body().path("reason").asText()).contains("fastest measured start")
                .endsWith("; submitted now, it would wait in the queue: no node that is up can run it: runtime: lost (test)");
        assertThat(answer.body().path("waiting").asText()).isEqualTo("no node that is up can run it: runtime: lost (test)");
    }

    @Test
    void beforeAnyNodeHasJoinedNoRuntimeIsChosenAndASubmitWouldWait() throws Exception {
        Answer answer = explainATrueJobOn(new NodeView() {
            @Override
            public List<RuntimeStatus> runtimes() {
                return List.of();
            }

            @Override
            public SpecLimits limits() {
                return SpecLimits.forNode(Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE, SpecLimits.RUNTIME_NAMES);
            }

            @Override
            public boolean anyNodeKnown() {
                return false;
            }

            @Override
            public java.util.Optional<String> waitingFor(JobSpec spec) {
                return java.util.Optional.of("no node has joined: no agent sends heartbeats");
            }
        });

        // it said "refused: this node has no runtimes", though a submit is accepted and waits
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.body().has("runtime")).isFalse();
        assertThat(answer.body().path("reason").asText()).isEqualTo("no runtime to choose yet; submitted now, it would wait"
                + " in the queue: no node has joined: no agent sends heartbeats");
        assertThat(answer.body().path("waiting").asText()).isEqualTo("no node has joined: no agent sends heartbeats");
    }

    @Test
    void anUntrustedJobGoesBehindAKernelBoundaryAndTheOthersNameTheRule() throws Exception {
        Answer answer = explain("{\"command\": [\"true\"], \"profile\": {\"trust\": \"UNTRUSTED\"}}");

        assertThat(answer.body().path("runtime").asText()).as("%s", answer).isEqualTo("gvisor");
        assertThat(rejections(answer.body())).containsExactly("podman/untrusted-needs-kernel-boundary",
                "process/untrusted-needs-kernel-boundary");
    }

    @Test
    void aPinnedRuntimeThatBreaksARuleIsRefusedNamingTheRule() throws Exception {
        Answer answer = explain("{\"command\": [\"true\"], \"runtime\": \"process\", \"profile\": {\"trust\": \"UNTRUSTED\"}}");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.body().has("runtime")).as("%s", answer).isFalse();
        assertThat(answer.body().path("reason").asText())
                .startsWith("refused: runtime 'process' breaks rule untrusted-needs-kernel-boundary: ");
    }

    /** A job the rules refuse where nodes are known is refused by a submit too: nothing would wait. */
    @Test
    void aRefusalWhereNodesAreKnownSaysNothingOfWaitingThoughNoNodeUpCouldRunTheJob() throws Exception {
        server.close();
        server = new HangarServer(queue, new ThreeRuntimesTestNode() {
            @Override
            public java.util.Optional<String> waitingFor(JobSpec spec) {
                return java.util.Optional.of("no node that is up can run it (test)");
            }
        }).start("127.0.0.1", 0);

        Answer answer = explain("{\"command\": [\"true\"], \"runtime\": \"process\", \"profile\": {\"trust\": \"UNTRUSTED\"}}");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.body().path("reason").asText()).as("%s", answer).startsWith("refused: ");
        assertThat(answer.body().has("waiting")).as("%s", answer).isFalse();
    }

    @Test
    void aJobThatASubmitRefusesForTheRulesIsExplainedNotRefused() throws Exception {
        server.close();
        // as a cluster's view: a submit is refused when the rules leave the job no runtime on one node
        server = new HangarServer(queue, new ThreeRuntimesTestNode() {
            @Override
            public JobSpec validate(JobSpec spec) {
                throw new InvalidSpecException(List.of(new FieldError("runtime", "no one node has all this job asks for")));
            }
        }).start("127.0.0.1", 0);

        Answer answer = explain("{\"command\": [\"true\"], \"runtime\": \"process\", \"profile\": {\"trust\": \"UNTRUSTED\"}}");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.body().path("reason").asText()).startsWith("refused: runtime 'process' breaks rule");
        assertThat(explain("{\"command\": [], \"runtime\": \"firecracker\"}").status())
                .as("its fields are still checked").isEqualTo(400);
    }

    @Test
    void aJobTheRulesGiveARuntimeButThatFitsNoOneNodeIsRefusedAsASubmitRefusesIt() throws Exception {
        Answer answer = explainATrueJobOn(new ThreeRuntimesTestNode() {
            @Override
            public JobSpec validate(JobSpec spec) {
                throw new InvalidSpecException(List.of(new FieldError("needs.network", "no one node has all this job"
                        + " asks for; on node 'b', the nearest fit: no network here (test)")));
            }

            @Override
            public java.util.Optional<String> waitingFor(JobSpec spec) {
                return java.util.Optional.of("no node that is up can run it (test)");
            }
        });

        // it said the job would wait, and the command exited 0, though a submit answers 400
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.body().has("runtime")).as("%s", answer).isFalse();
        assertThat(answer.body().path("reason").asText()).isEqualTo("refused: needs.network: no one node has all this"
                + " job asks for; on node 'b', the nearest fit: no network here (test)");
        assertThat(answer.body().has("waiting")).as("%s", answer).isFalse();
        assertThat(answer.body().path("candidates")).as("the figures read are still shown").hasSize(3);
    }

    @Test
    void aJobPinnedToABenchedRuntimeIsExplainedAsWaitingForItAsASubmitAcceptsIt() throws Exception {
        server.close();
        server = new HangarServer(queue, new ThreeRuntimesTestNode() {
            @Override
            public List<RuntimeStatus> runtimes() {
                return super.runtimes().stream().map(r -> !r.name().equals("process") ? r : new RuntimeStatus(r.name(),
                        r.description(), r.capabilities(), r.probe().benchedFor("3 sandboxes in a row failed"))).toList();
            }
        }).start("127.0.0.1", 0);

        JsonNode pinned = explain("{\"command\": [\"true\"], \"runtime\": \"process\"}").body();
        assertThat(pinned.path("runtime").asText()).as("%s", pinned).isEqualTo("process");
        assertThat(pinned.path("reason").asText()).startsWith("waits for runtime 'process', benched for a while");
        JsonNode free = explain("{\"command\": [\"true\"]}").body();
        assertThat(free.path("runtime").asText()).as("another runtime is there now").isEqualTo("gvisor");
        assertThat(rejections(free)).contains("process/runtime-available");
    }

    @Test
    void anInvalidSpecIsRefusedNamingEveryFieldAtFault() throws Exception {
        Answer answer = explain("{\"command\": [], \"runtime\": \"firecracker\", \"resources\": {\"memoryMb\": 1}}");

        assertThat(answer.status()).as("%s", answer).isEqualTo(400);
        assertThat(fields(answer.body())).containsExactlyInAnyOrder("command", "runtime", "resources.memoryMb");
    }

    @Test
    void aMalformedOrUnknownFieldBodyIsRefusedNamingTheField() throws Exception {
        assertThat(fields(explain("{\"command\": [\"true\"]").body())).containsExactly("body");
        assertThat(fields(explain("{\"command\": [\"true\"], \"trust\": \"UNTRUSTED\"}").body())).containsExactly("trust");
    }

    @Test
    void explainingStoresNothing() throws Exception {
        assertThat(explain("{\"command\": [\"true\"]}").status()).as("answered").isEqualTo(200);

        assertThat(queue.countByState().values()).allMatch(count -> count == 0);
    }
}
