package dev.hangar.server;

import dev.hangar.client.EventStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.server.events.EventLog;
import io.javalin.Javalin;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stream loop on a small log: heartbeats, and a client too slow for the ring. */
class EventRoutesTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private EventLog log;
    private EventRoutes routes;
    private Javalin app;

    private void start(int maxEvents, Duration heartbeat) {
        log = new EventLog(maxEvents, Long.MAX_VALUE, 1);
        routes = new EventRoutes(log, heartbeat, new StreamSlots(StreamSlots.PER_CALLER, StreamSlots.TOTAL));
        app = Javalin.create(config -> config.useVirtualThreads = true);
        app.beforeMatched(new TokenCheck(java.util.Optional.empty())::check); // a server without tokens, as HangarServer sets it up
        routes.register(app);
        app.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        log.close();
        routes.close();
        app.stop();
    }

    @Test
    void anIdleStreamGetsHeartbeatComments() throws Exception {
        start(10, Duration.ofMillis(100));
        try (EventStream stream = EventStream.open(HttpClient.newHttpClient(),
                URI.create("http://127.0.0.1:" + app.port() + "/v1/events"), Map.of())) {
            assertThat(stream.next(WAIT, true)).as("the opening message, the id it starts after").isNotNull();
            EventStream.Event comment = stream.next(WAIT, true);
            assertThat(comment).as("a heartbeat after it").isNotNull();
            assertThat(comment.event()).isEqualTo(":");
            assertThat(routes.clients()).isEqualTo(1);
        }
    }

    @Test
    void aFilteredStreamGetsHeartbeatCommentsWhileEveryEventIsSkipped() throws Exception {
        start(1000, Duration.ofMillis(200));
        var publishing = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                log.append("job", "{}"); // none of the stream's type, more often than its heartbeat
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (EventStream stream = EventStream.open(HttpClient.newHttpClient(),
                URI.create("http://127.0.0.1:" + app.port() + "/v1/events?types=node"), Map.of())) {
            assertThat(stream.next(WAIT, true)).as("the opening message, the id it starts after").isNotNull();
            EventStream.Event comment = stream.next(WAIT, true);
            assertThat(comment).as("a heartbeat after it").isNotNull();
            assertThat(comment.event()).isEqualTo(":");
        } finally {
            publishing.interrupt();
        }
    }

    @Test
    void aFilteredStreamMovesItsClientsLastEventIdPastWhatItSkippedSoAResumeIsNoReset() throws Exception {
        start(5, Duration.ofMillis(100));
        URI events = URI.create("http://127.0.0.1:" + app.port() + "/v1/events?types=node");
        String resumeAfter;
        try (EventStream stream = EventStream.open(HttpClient.newHttpClient(), events, Map.of())) {
            assertThat(stream.next(WAIT, true)).as("the stream is open").isNotNull();
            log.append("node", "{}");
            assertThat(stream.next(WAIT).event()).isEqualTo("node");
            for (int i = 0; i < 20; i++) {
                log.append("job", "{}"); // four times the ring: the node event is long gone from it
                Thread.sleep(20); // slowly enough for the stream to keep up: it is not reset for falling behind
            }
            long newest = log.lastId();
            var seen = new java.util.ArrayList<EventStream.Event>();
            await().atMost(WAIT).until(() -> {
                seen.add(stream.next(Duration.ofMillis(200), true));
                return String.valueOf(newest).equals(stream.lastEventId());
            });
            assertThat(seen).as("keep-alives only").allSatisfy(event -> assertThat(event == null || event.event().equals(":"))
                    .isTrue());
            resumeAfter = stream.lastEventId();
        }
        try (EventStream resumed = EventStream.open(HttpClient.newHttpClient(), events, Map.of("Last-Event-ID", resumeAfter))) {
            log.append("node", "{}");
            assertThat(resumed.next(WAIT).event()).as("no reset: nothing of its types was missed").isEqualTo("node");
        }
    }

    /**
     * A client that stops reading: publishing goes on at full speed (nothing waits for the client),
     * and once the ring has moved past the client's position it gets a reset and is dropped.
     */
    @Test
    void aClientThatFallsTooFarBehindIsResetAndDropped() throws Exception {
        start(20, Duration.ofSeconds(30));
        String big = "\"" + "x".repeat(64 * 1024) + "\"";
        try (var socket = new Socket("127.0.0.1", app.port())) {
            socket.setReceiveBufferSize(4096);
            socket.getOutputStream().write(("GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            in.readNBytes(1); // the headers are on their way: the stream has started
            Thread.sleep(200);

            long start = System.nanoTime();
            for (int i = 0; i < 2000; i++) {
                log.append("job", big); // 128 MB in all, far more than the socket buffers hold
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("publishing never waits for a client")
                    .isLessThan(Duration.ofSeconds(5));

            String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8); // to the end: dropped
            assertThat(rest).contains("event: reset");
            assertThat(rest.substring(rest.indexOf("event: reset"))).doesNotContain("event: job");
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (routes.clients() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(routes.clients()).isZero();
    }
}
