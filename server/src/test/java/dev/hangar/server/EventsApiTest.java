package dev.hangar.server;

import dev.hangar.client.EventStream;
import dev.hangar.server.events.EventLog;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.select.Selection;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /v1/events of a real server over HTTP, the store driven by hand as an agent would. */
class EventsApiTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private TestNode node;
    private HangarServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        node = new TestNode();
        server = new HangarServer(queue, node).start("127.0.0.1", 0);
        node.local.join();
    }

    @AfterEach
    void stop() {
        server.close();
        queue.close();
    }

    private EventStream events(String query, Map<String, String> headers) {
        EventStream reader = EventStream.open(http, uri("/v1/events" + query), headers);
        assertThat(reader.status()).isEqualTo(200);
        assertThat(reader.contentType()).startsWith("text/event-stream");
        return reader;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** Takes a job through its whole life, as an agent does. */
    private Job runJob(String name) {
        Job job = queue.enqueue(JobSpec.builder().name(name).command("true").build()).job();
        var lease = queue.lease(new LeaseRequest("w", Duration.ofSeconds(30), 8, 4096, 1)).orElseThrow();
        queue.starting(lease, "n1", new Selection("process", "test", List.of()));
        queue.running(lease);
        queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();
        return job;
    }

    private static JsonNode data(EventStream.Event event) {
        try {
            return JSON.readTree(event.data());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + event, e);
        }
    }

    private static boolean isFinalOf(EventStream.Event event, String jobId) {
        return event.event().equals("job") && data(event).path("job").path("id").asText().equals(jobId)
                && data(event).path("job").path("state").asText().equals("SUCCEEDED");
    }

    private String get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void aJobsChangesArriveInOrderWithIncreasingIds() throws Exception {
        try (EventStream stream = events("", Map.of())) {
            Job job = runJob("one");
            List<EventStream.Event> seen = stream.until(e -> isFinalOf(e, job.id()), WAIT);

            assertThat(seen).extracting(EventStream.Event::event).containsOnly("job");
            assertThat(seen).extracting(e -> data(e).path("job").path("state").asText())
                    .containsExactly("QUEUED", "SCHEDULED", "STARTING", "RUNNING", "SUCCEEDED");
            assertThat(seen).extracting(e -> Long.parseLong(e.id())).isSorted().doesNotHaveDuplicates();
            assertThat(data(seen.getLast()).path("type").asText()).isEqualTo("job");
            assertThat(data(seen.getLast()).path("job")).as("the job as GET /v1/jobs/{id} returns it")
                    .isEqualTo(JSON.readTree(get("/v1/jobs/" + job.id())));
        }
    }

    @Test
    void aJobsEventsLeaveOutItsStdinAndSayHowLongItIs() throws Exception {
        try (EventStream stream = events("", Map.of())) {
            String stdin = "é".repeat(300_000); // 600,000 bytes
            Job job = queue.enqueue(JobSpec.builder().command("cat").stdin(stdin).build()).job();
            List<EventStream.Event> seen = stream.until(e -> e.event().equals("job")
                    && data(e).path("job").path("id").asText().equals(job.id()), WAIT);

            JsonNode event = data(seen.getLast());
            // each event used to carry the whole stdin, to every client, and a few such jobs emptied the buffer
            assertThat(seen.getLast().data().length()).isLessThan(2_000);
            assertThat(event.path("job").path("spec").has("stdin")).isFalse();
            assertThat(event.path("stdinBytes").asInt()).isEqualTo(600_000);
            JsonNode rest = JSON.readTree(get("/v1/jobs/" + job.id()));
            assertThat(rest.path("spec").path("stdin").asText()).isEqualTo(stdin);
            ((com.fasterxml.jackson.databind.node.ObjectNode) rest.path("spec")).remove("stdin");
            assertThat(event.path("job")).as("the job as GET /v1/jobs/{id} returns it but for its stdin").isEqualTo(rest);
        }
    }

    @Test
    void resumingWithLastEventIdReplaysExactlyTheMissedEventsThenLiveOnes() throws Exception {
        List<EventStream.Event> all;
        String job2;
        try (EventStream first = events("", Map.of())) {
            String job1 = runJob("first").id();
            job2 = runJob("second").id();
            all = first.until(e -> isFinalOf(e, job2), WAIT);
            assertThat(all.getFirst().event()).isEqualTo("job");
            assertThat(data(all.getFirst()).path("job").path("id").asText()).isEqualTo(job1);
        }
        int cut = 3;
        try (EventStream resumed = events("?lastEventId=1", Map.of("Last-Event-ID", all.get(cut - 1).id()))) {
            // the header wins over the query: it is what a browser sends on reconnect
            List<EventStream.Event> replayed = resumed.until(e -> isFinalOf(e, job2), WAIT);
            assertThat(replayed).isEqualTo(all.subList(cut, all.size()));

            Job live = runJob("live");
            EventStream.Event next = resumed.next(WAIT);
            assertThat(next).isNotNull();
            assertThat(Long.parseLong(next.id())).isEqualTo(Long.parseLong(all.getLast().id()) + EventLog.CLOCK_STRIDE);
            assertThat(data(next).path("job").path("id").asText()).isEqualTo(live.id());
        }
    }

    @Test
    void aStreamSaysAtOnceWhereItStartsSoThatOneDroppedBeforeAnyEventResumesWithoutAGap() throws Exception {
        String start;
        try (EventStream quiet = events("", Map.of())) {
            assertThat(quiet.next(Duration.ofMillis(300))).as("nothing happened meanwhile").isNull();
            start = quiet.lastEventId();
        }
        assertThat(start).as("the id it starts after, told before any event").isNotNull();
        Job job = runJob("while-away");

        try (EventStream resumed = events("", Map.of("Last-Event-ID", start))) {
            List<EventStream.Event> seen = resumed.until(e -> isFinalOf(e, job.id()), WAIT);
            assertThat(seen).extracting(EventStream.Event::event).as("replayed, not reset").containsOnly("job");
            assertThat(data(seen.getFirst()).path("job").path("state").asText()).isEqualTo("QUEUED");
        }
    }

    @Test
    void lastEventIdZeroReplaysEverythingSinceTheStartTheNodeJoinFirst() throws Exception {
        Job job = runJob("before");
        try (EventStream stream = events("?lastEventId=0", Map.of())) {
            List<EventStream.Event> seen = stream.until(e -> isFinalOf(e, job.id()), WAIT);
            assertThat(seen.getFirst().event()).isEqualTo("node");
            JsonNode joined = data(seen.getFirst());
            assertThat(joined.path("type").asText()).isEqualTo("node");
            assertThat(joined.path("node").path("name").asText()).isEqualTo("n1");
            assertThat(joined.path("node").path("state").asText()).isEqualTo("JOINED");
            assertThat(joined.path("node").path("capacity").path("cpus").asDouble()).isEqualTo(8);
            assertThat(joined.path("node").path("capacity").path("memoryMb").asLong()).isEqualTo(4096);
            assertThat(joined.path("node").path("capacity").path("gpus").asInt()).isEqualTo(1);
            assertThat(joined.path("node").path("runtimes").toString()).isEqualTo("[\"process\"]");
            assertThat(seen).hasSize(6);
        }
    }

    @Test
    void anIdOlderThanTheBufferGetsOneResetThenLiveEvents() throws Exception {
        runJob("before");
        try (EventStream stream = events("?lastEventId=1", Map.of())) {
            EventStream.Event reset = stream.next(WAIT);
            assertThat(reset.event()).isEqualTo("reset");
            assertThat(data(reset).path("type").asText()).isEqualTo("reset");
            assertThat(data(reset).path("reason").asText()).isNotBlank();

            Job job = runJob("after");
            EventStream.Event next = stream.next(WAIT);
            assertThat(Long.parseLong(next.id())).as("the reset carries the position the stream goes on from")
                    .isEqualTo(Long.parseLong(reset.id()) + EventLog.CLOCK_STRIDE);
            assertThat(data(next).path("job").path("id").asText()).isEqualTo(job.id());
        }
    }

    @Test
    void aHeaderThatIsNoIdIsAReset() throws Exception {
        try (EventStream stream = events("", Map.of("Last-Event-ID", "not-a-number"))) {
            var reset = stream.next(WAIT);
            assertThat(reset.event()).isEqualTo("reset");
            assertThat(reset.data()).contains("the Last-Event-ID header is not an event id of this server");
        }
    }

    @Test
    void typesFilterTheStreamAndAResumeWithinTheFilterHasNoGap() throws Exception {
        try (EventStream nodes = events("?types=node", Map.of());
                EventStream jobs = events("?types=job", Map.of())) {
            Job job = runJob("filtered");
            node.local.leave();
            EventStream.Event lost = nodes.next(WAIT);
            assertThat(lost.event()).isEqualTo("node");
            assertThat(data(lost).path("node").path("state").asText()).isEqualTo("LOST");

            List<EventStream.Event> jobEvents = jobs.until(e -> isFinalOf(e, job.id()), WAIT);
            assertThat(jobEvents).extracting(EventStream.Event::event).containsOnly("job");
            assertThat(jobs.next(Duration.ofMillis(200))).as("no node event on a job stream").isNull();
        }
    }

    @Test
    void badParametersAreRefusedWithAProblem() throws Exception {
        for (String query : List.of("?types=job,bogus", "?types=job,", "?lastEventId=abc", "?lastEventId=-5")) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(uri("/v1/events" + query)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(query).isEqualTo(400);
            assertThat(answer.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        }
    }

    @Test
    void anyAcceptHeaderGetsTheStream() throws Exception {
        for (String accept : List.of("text/event-stream", "*/*", "text/event-stream, */*;q=0.1")) {
            try (EventStream stream = events("?lastEventId=0", Map.of("Accept", accept))) {
                assertThat(stream.next(WAIT).event()).as(accept).isEqualTo("node");
            }
        }
    }

    @Test
    void stoppingTheServerSendsWhatIsLeftAndEndsTheStream() throws Exception {
        EventStream stream = events("?types=node", Map.of());
        node.local.leave();
        server.close();
        EventStream.Event lost = stream.next(WAIT);
        assertThat(lost).isNotNull();
        assertThat(data(lost).path("node").path("state").asText()).isEqualTo("LOST");
        assertThat(stream.ended(WAIT)).isTrue();
        stream.close();
    }

    @Test
    void nodesListsTheJoinedNodes() throws Exception {
        JsonNode nodes = JSON.readTree(get("/v1/nodes"));
        assertThat(nodes).hasSize(1);
        assertThat(nodes.get(0).path("name").asText()).isEqualTo("n1");
        assertThat(nodes.get(0).path("state").asText()).isEqualTo("JOINED");
        node.local.leave();
        assertThat(JSON.readTree(get("/v1/nodes"))).isEmpty();
    }
}
