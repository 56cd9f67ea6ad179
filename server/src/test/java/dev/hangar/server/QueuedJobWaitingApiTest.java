package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.JobSpec;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A queued job that no node that is up can run says why it waits; others show no such field. */
class QueuedJobWaitingApiTest {
    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private HangarServer server;

    @AfterEach
    void stop() {
        server.close();
        queue.close();
    }

    /** A node view whose nodes that are up run no job of runtime "gvisor", and have it not. */
    private static NodeView upWithoutGvisor() {
        return new TestNode.Like() {
            @Override
            public Optional<String> waitingFor(JobSpec spec) {
                return "gvisor".equals(spec.runtime()) ? Optional.of("no node that is up can run it: runtime: gone") : Optional.empty();
            }

            @Override
            public java.util.List<dev.hangar.core.runtime.RuntimeStatus> runtimes() {
                return java.util.List.of(ClusterNodesTest.runtime("gvisor", true), ClusterNodesTest.runtime("process", true));
            }

            @Override
            public Optional<String> runtimeWaitingFor(String runtime) {
                return "process".equals(runtime) ? Optional.empty() : Optional.of("no node that is up has it");
            }
        };
    }

    private String get(String id) throws Exception {
        return getPath("/v1/jobs/" + id);
    }

    private String getPath(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** A server whose nodes that are up run no gVisor job, with one such job queued and then one they can run. */
    private String[] startWithAStrandedAndARunnableJob() {
        start();
        return submitAStrandedAndARunnableJob();
    }

    private void start() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        server = new HangarServer(queue, upWithoutGvisor()).start("127.0.0.1", 0);
    }

    private String[] submitAStrandedAndARunnableJob() {
        return new String[] {queue.enqueue(JobSpec.builder().command("true").runtime("gvisor").build()).job().id(),
                queue.enqueue(JobSpec.of("true")).job().id()};
    }

    @Test
    void aQueuedJobsEventSaysWhyItWaitsAsItsGetDoes() throws Exception {
        start();
        var json = dev.hangar.core.json.Json.mapper();
        try (var events = dev.hangar.client.EventStream.open(HttpClient.newHttpClient(),
                URI.create("http://127.0.0.1:" + server.port() + "/v1/events"), java.util.Map.of())) {
            String[] ids = submitAStrandedAndARunnableJob();
            var seen = new java.util.HashMap<String, com.fasterxml.jackson.databind.JsonNode>();
            events.until(event -> {
                try {
                    var job = json.readTree(event.data()).path("job");
                    seen.put(job.path("id").asText(), job);
                } catch (java.io.IOException e) {
                    throw new AssertionError("not JSON: " + event, e);
                }
                return seen.containsKey(ids[1]);
            }, java.time.Duration.ofSeconds(10));

            // events carried no waiting: a job submitted while a dashboard was open showed none until a reload
            assertThat(seen.get(ids[0]).path("waiting").asText()).isEqualTo("no node that is up can run it: runtime: gone");
            assertThat(seen.get(ids[0])).isEqualTo(json.readTree(get(ids[0])));
            assertThat(seen.get(ids[1]).has("waiting")).isFalse();
        }
    }

    @Test
    void aQueuedJobNoNodeUpCanRunSaysWhyItWaits() throws Exception {
        String[] ids = startWithAStrandedAndARunnableJob();
        String stranded = ids[0];
        String runnable = ids[1];

        // it used to show a job QUEUED for ever, no word of why
        assertThat(get(stranded)).contains("\"state\":\"QUEUED\"").contains("\"waiting\":\"no node that is up can run it: runtime: gone\"");
        assertThat(get(runnable)).contains("\"state\":\"QUEUED\"").doesNotContain("waiting");
    }

    @Test
    void aListOfJobsSaysWhyEachQueuedJobNoNodeUpCanRunWaits() throws Exception {
        String[] ids = startWithAStrandedAndARunnableJob();
        String stranded = ids[0];
        String runnable = ids[1];

        var page = dev.hangar.core.json.Json.mapper().readTree(getPath("/v1/jobs"));
        var firstOfTwo = dev.hangar.core.json.Json.mapper().readTree(getPath("/v1/jobs?limit=1"));

        // it showed only GET /v1/jobs/{id} why a job waits, not a list
        assertThat(firstOfTwo.get("jobs")).hasSize(1);
        assertThat(firstOfTwo.get("nextCursor").asText()).as("a page's cursor as before").isNotBlank();
        assertThat(page.has("nextCursor")).as("the last page has none, as before").isFalse();
        var byId = new java.util.HashMap<String, com.fasterxml.jackson.databind.JsonNode>();
        page.get("jobs").forEach(job -> byId.put(job.get("id").asText(), job));
        assertThat(byId).containsOnlyKeys(stranded, runnable);
        assertThat(byId.get(stranded).get("waiting").asText()).isEqualTo("no node that is up can run it: runtime: gone");
        assertThat(byId.get(runnable).has("waiting")).isFalse();
        assertThat(byId.get(runnable).get("state").asText()).isEqualTo("QUEUED");
    }

    @Test
    void theRuntimesListSaysOfARuntimeNoNodeUpHasThatItsJobsWait() throws Exception {
        startWithAStrandedAndARunnableJob();

        var runtimes = dev.hangar.core.json.Json.mapper().readTree(getPath("/v1/runtimes"));

        assertThat(runtimes).hasSize(2).allSatisfy(runtime -> {
            String name = runtime.get("name").asText();
            assertThat(runtime.has("probe")).as(name).isTrue();
            if (name.equals("process")) {
                assertThat(runtime.has("waiting")).as(name).isFalse();
            } else {
                assertThat(runtime.get("waiting").asText()).as(name).isEqualTo("no node that is up has it");
            }
        });
    }
}
