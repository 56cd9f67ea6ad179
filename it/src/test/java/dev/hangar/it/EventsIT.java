package dev.hangar.it;

import dev.hangar.client.EventStream;
import dev.hangar.server.events.EventLog;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GET /v1/events over real HTTP: a real job's events, resume with Last-Event-ID, reset, the node's join. */
class EventsIT extends OneNodeIT {
    private static final Duration WAIT = Api.WAIT;

    private static EventStream events(String query, Map<String, String> headers) {
        EventStream stream = EventStream.open(api.http(), api.base().resolve("/v1/events" + query), headers);
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.contentType()).startsWith("text/event-stream");
        return stream;
    }

    private static JsonNode data(EventStream.Event event) {
        try {
            return Api.JSON.readTree(event.data());
        } catch (IOException e) {
            throw new AssertionError("event data is not JSON: " + event, e);
        }
    }

    private static String jobId(EventStream.Event event) {
        return data(event).path("job").path("id").asText();
    }

    private static String jobState(EventStream.Event event) {
        return data(event).path("job").path("state").asText();
    }

    private static boolean ends(EventStream.Event event, String id) {
        return event.event().equals("job") && jobId(event).equals(id) && Api.FINAL_STATES.contains(jobState(event));
    }

    private static long id(EventStream.Event event) {
        return Long.parseLong(event.id());
    }

    @Test
    void aJobsEventsArriveInOrderFromQueuedToSucceeded() throws Exception {
        try (EventStream stream = events("?types=job", Map.of())) {
            String id = api.submit(Api.spec("echo", "events")).path("id").asText();
            List<EventStream.Event> seen = stream.until(e -> ends(e, id), WAIT);

            List<EventStream.Event> mine = seen.stream().filter(e -> jobId(e).equals(id)).toList();
            assertThat(mine).extracting(EventsIT::jobState)
                    .containsExactly("QUEUED", "SCHEDULED", "STARTING", "RUNNING", "SUCCEEDED");
            assertThat(seen).extracting(EventsIT::id).isSorted().doesNotHaveDuplicates();
            assertThat(data(mine.getLast()).path("type").asText()).isEqualTo("job");
            assertThat(data(mine.getLast()).path("job")).as("the job as GET /v1/jobs/{id} returns it")
                    .isEqualTo(api.job(id));
        }
    }

    @Test
    void reconnectingWithLastEventIdReplaysExactlyTheMissedEvents() throws Exception {
        try (EventStream reference = events("", Map.of())) { // stays connected throughout
            List<EventStream.Event> before;
            try (EventStream first = events("", Map.of())) {
                String a = api.submit(Api.spec("echo", "a")).path("id").asText();
                before = first.until(e -> ends(e, a), WAIT);
            } // disconnected: what follows is missed
            String b = api.submit(Api.spec("echo", "b")).path("id").asText();
            api.awaitFinal(b);

            List<EventStream.Event> all = reference.until(e -> ends(e, b), WAIT);
            int cut = all.indexOf(before.getLast());
            assertThat(cut).as("the reference stream saw the same events, with the same ids").isNotNegative();
            assertThat(all.subList(0, cut + 1)).endsWith(before.toArray(new EventStream.Event[0]));

            try (EventStream resumed = events("", Map.of("Last-Event-ID", before.getLast().id()))) {
                List<EventStream.Event> replayed = resumed.until(e -> ends(e, b), WAIT);
                assertThat(replayed).as("no gap, no duplicate").isEqualTo(all.subList(cut + 1, all.size()));
                assertThat(id(replayed.getFirst())).isEqualTo(id(before.getLast()) + EventLog.CLOCK_STRIDE);
                assertThat(replayed).filteredOn(e -> jobId(e).equals(b)).extracting(EventsIT::jobState)
                        .containsExactly("QUEUED", "SCHEDULED", "STARTING", "RUNNING", "SUCCEEDED");

                String c = api.submit(Api.spec("echo", "c")).path("id").asText();
                EventStream.Event live = resumed.next(WAIT);
                assertThat(live).as("then live events").isNotNull();
                assertThat(jobId(live)).isEqualTo(c);
                assertThat(id(live)).isGreaterThan(id(replayed.getLast()));
                api.awaitFinal(c);
            }
        }
    }

    @Test
    void anIdTooOldGetsAReset() throws Exception {
        try (EventStream stream = events("", Map.of("Last-Event-ID", "1"))) {
            EventStream.Event reset = stream.next(WAIT);
            assertThat(reset).isNotNull();
            assertThat(reset.event()).isEqualTo("reset");
            assertThat(data(reset).path("type").asText()).isEqualTo("reset");
            assertThat(data(reset).path("reason").asText()).isNotBlank();

            String id = api.submit(Api.spec("true")).path("id").asText();
            EventStream.Event next = stream.next(WAIT);
            assertThat(next).isNotNull();
            assertThat(id(next)).as("events go on right after the reset's id").isEqualTo(id(reset) + EventLog.CLOCK_STRIDE);
            assertThat(stream.until(e -> ends(e, id), WAIT)).isNotEmpty();
        }
    }

    @Test
    void theNodeJoinedWhenTheServerStarted() throws Exception {
        try (EventStream stream = events("?lastEventId=0&types=node", Map.of())) {
            EventStream.Event joined = stream.next(WAIT);
            assertThat(joined).as("a node event since the start").isNotNull();
            JsonNode node = data(joined).path("node");
            assertThat(joined.event()).isEqualTo("node");
            assertThat(data(joined).path("type").asText()).isEqualTo("node");
            assertThat(node.path("name").asText()).isEqualTo("node");
            assertThat(node.path("state").asText()).isEqualTo("JOINED");
            assertThat(node.path("capacity").path("cpus").asDouble()).isPositive();
            assertThat(node.path("capacity").path("memoryMb").asLong()).isPositive();
            assertThat(node.path("capacity").has("gpus")).isTrue();
            assertThat(node.path("runtimes").toString()).contains("\"process\"");
        }
        JsonNode nodes = api.get("/v1/nodes").json();
        assertThat(nodes).hasSize(1);
        assertThat(nodes.get(0).path("name").asText()).isEqualTo("node");
    }
}
