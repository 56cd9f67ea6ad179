package dev.hangar.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.LogChunk;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against a stand-in for the server (the JDK's HTTP server, answering as the REST API
 * does, or as a server of another version, a restarting one or a hung one would).
 */
class HangarClientTest {
    private final HttpServer server = start();
    private final CountDownLatch testEnded = new CountDownLatch(1);
    private final HangarClient client = new HangarClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
            Duration.ofSeconds(1));

    private static HttpServer start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            server.start();
            return server;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void stop() {
        testEnded.countDown();
        server.stop(0);
    }

    private static void answer(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String job(String state) {
        return "{\"id\":\"j-1\",\"state\":\"" + state + "\",\"addedByANewerServer\":{\"x\":1}}";
    }

    private static String chunk(long seq, String text) {
        return "{\"seq\":" + seq + ",\"attempt\":1,\"delivery\":1,\"stream\":\"STDOUT\",\"data\":\""
                + java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)) + "\"}\n";
    }

    @Test
    void anAnswerWithAFieldItDoesNotKnowOrWithoutOneItHasIsStillRead() {
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 200, "application/json", job("RUNNING")));

        Job job = client.get("j-1");

        assertThat(job.state()).isEqualTo(JobState.RUNNING);
        assertThat(job.deliveries()).as("left out").isZero();
    }

    @Test
    void aJobsStatusSaysWhyItWaitsWhenTheServerSaysSo() {
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 200, "application/json",
                "{\"id\":\"j-1\",\"state\":\"QUEUED\",\"waiting\":\"no node that is up can run it: runtime: gone\"}"));
        server.createContext("/v1/jobs/j-2", exchange -> answer(exchange, 200, "application/json", job("RUNNING")));

        JobStatus waits = client.status("j-1");
        JobStatus runs = client.status("j-2");

        assertThat(waits.job().state()).isEqualTo(JobState.QUEUED);
        assertThat(waits.describe()).isEqualTo("QUEUED (no node that is up can run it: runtime: gone)");
        assertThat(runs.waiting()).isNull();
        assertThat(runs.describe()).isEqualTo("RUNNING");
    }

    @Test
    void aPageOfJobsKeepsWhyEachWaitsAndAPageOfAnotherShapeCannotBeRead() {
        var answers = new java.util.concurrent.ConcurrentLinkedQueue<>(List.of(
                "{\"jobs\": [{\"id\": \"j-1\", \"state\": \"QUEUED\", \"waiting\": \"no node is up (test)\"},"
                        + " {\"id\": \"j-2\", \"state\": \"QUEUED\", \"waiting\": null}], \"nextCursor\": \"c-2\"}",
                "[]", "{}", "{\"jobs\": {\"id\": \"j-1\"}}"));
        server.createContext("/v1/jobs", exchange -> answer(exchange, 200, "application/json", answers.remove()));

        StatusPage page = client.listStatuses(dev.hangar.core.queue.JobQuery.all(10));

        assertThat(page.jobs()).extracting(JobStatus::waiting).containsExactly("no node is up (test)", null);
        assertThat(page.nextCursor()).isEqualTo("c-2");
        for (int i = 0; i < 3; i++) {
            // an empty page was shown for these, as if there were no jobs
            assertThatThrownBy(() -> client.list(java.util.Set.of(), null, 10)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("could not be read");
        }
    }

    @Test
    void aListAskingForMoreThanAPageHoldsAsksForAFullPageNotAPageTheServerRefuses() {
        var asked = new java.util.concurrent.ConcurrentLinkedQueue<String>();
        server.createContext("/v1/jobs", exchange -> {
            asked.add(exchange.getRequestURI().getQuery());
            answer(exchange, 200, "application/json", "{\"jobs\": [], \"nextCursor\": null}");
        });

        client.list(java.util.Set.of(), null, 1000);

        assertThat(asked).containsExactly("limit=" + dev.hangar.core.queue.JobQuery.MAX_LIMIT);
    }

    @Test
    void theRuntimesListKeepsWhyJobsForARuntimeWouldWaitAndAnAnswerOfAnotherShapeCannotBeRead() {
        var answers = new java.util.concurrent.ConcurrentLinkedQueue<>(List.of(
                "[{\"name\": \"gvisor\", \"probe\": {\"available\": true, \"attributes\": {}}, \"waiting\": \"no node that is up has it (test)\"},"
                        + " {\"name\": \"process\", \"probe\": {\"available\": true, \"attributes\": {}}}]",
                "{\"name\": \"process\"}"));
        server.createContext("/v1/runtimes", exchange -> answer(exchange, 200, "application/json", answers.remove()));

        List<RuntimeEntry> runtimes = client.runtimeEntries();

        assertThat(runtimes).extracting(entry -> entry.status().name()).containsExactly("gvisor", "process");
        assertThat(runtimes).extracting(RuntimeEntry::waiting).containsExactly("no node that is up has it (test)", null);
        assertThat(runtimes.get(0).asJson().get("waiting").asText()).isEqualTo("no node that is up has it (test)");
        assertThat(runtimes.get(1).asJson().has("waiting")).isFalse();
        assertThatThrownBy(client::runtimes).isInstanceOf(IllegalStateException.class).hasMessageContaining("could not be read");
    }

    @Test
    void aProblemWithMembersItDoesNotKnowKeepsItsStatusAndFields() {
        server.createContext("/v1/jobs", exchange -> answer(exchange, 400, "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Invalid job spec\",\"status\":400,\"detail\":\"1 field\","
                        + "\"instance\":\"/v1/jobs\",\"errors\":[{\"field\":\"command\",\"reason\":\"is required\"}]}"));

        assertThatThrownBy(() -> client.submitJson("{}")).isInstanceOfSatisfying(HangarApiException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.problem().errors()).singleElement().satisfies(error -> assertThat(error.field()).isEqualTo("command"));
        });
    }

    @Test
    void aRefusalThatIsNotAProblemOfTheApisSaysHangarMayNotBeThere() {
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 404, "text/html", "<h1>Not Found</h1>"));
        server.createContext("/v1/jobs/j-2", exchange -> answer(exchange, 502, "application/json", "{}"));

        // it used to say "404 HTTP 404: " and the page, or, for {}, "502 null: null"
        assertThatThrownBy(() -> client.get("j-1")).isInstanceOfSatisfying(HangarApiException.class, e -> {
            assertThat(e.status()).isEqualTo(404);
            assertThat(e.getMessage()).contains("not an answer of a Hangar API (is Hangar at " + client.url())
                    .endsWith(": <h1>Not Found</h1>");
        });
        assertThatThrownBy(() -> client.get("j-2")).isInstanceOfSatisfying(HangarApiException.class,
                e -> assertThat(e.getMessage()).startsWith("502 HTTP 502: not an answer of a Hangar API"));
    }

    @Test
    void anAnswerThatIsNotTheApisIsSaidSoNotTakenForNoServer() {
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 200, "application/json", "[1, 2]"));

        assertThatThrownBy(() -> client.get("j-1")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("answer of " + client.url() + " to GET /v1/jobs/j-1 could not be read");
    }

    @Test
    void aCallLeftUnansweredEndsAtTheCallTimeoutSayingTheServerIsThere() {
        server.createContext("/v1/jobs/j-1", exchange -> {
            try {
                testEnded.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        assertThatThrownBy(() -> client.get("j-1")).isInstanceOfSatisfying(HangarUnreachableException.class, e -> {
            assertThat(e.serverThere()).isTrue();
            assertThat(e).hasMessage("the Hangar server at " + client.url() + " did not answer GET /v1/jobs/j-1 within 1 s");
        });
    }

    @Test
    void aCallWhoseAnswerStallsAfterItsHeadersEndsAtTheCallTimeoutToo() {
        server.createContext("/v1/jobs/j-1", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 100);
            try {
                exchange.getResponseBody().write("{\"id\":".getBytes(StandardCharsets.UTF_8));
                exchange.getResponseBody().flush();
                testEnded.await(); // a host that froze, a network cut without a reset
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.createContext("/healthz", exchange -> {
            exchange.sendResponseHeaders(200, 100);
            try {
                testEnded.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        // the JDK's timeout ends at the headers: the call, and its thread, waited for good
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertThatThrownBy(() -> client.get("j-1")).isInstanceOfSatisfying(HangarUnreachableException.class,
                    e -> assertThat(e.serverThere()).isTrue());
            assertThat(client.healthy()).isFalse();
            assertThat(client.answers()).as("a server is there, slow").isTrue();
        });
    }

    @Test
    void anEventStreamRefusedIsARefusalNotAStreamThatEndedAtOnce() {
        server.createContext("/v1/events", exchange -> answer(exchange, 429, "application/problem+json",
                "{\"title\":\"Too many streams\",\"status\":429,\"detail\":\"64 open\"}"));

        assertThatThrownBy(() -> client.events(null)).isInstanceOfSatisfying(HangarApiException.class,
                e -> assertThat(e.status()).isEqualTo(429));
    }

    @Test
    void aCopyWithAnotherTokenOrTimeoutUsesTheSameConnections() {
        var ports = java.util.Collections.synchronizedSet(new java.util.HashSet<Integer>());
        server.createContext("/v1/runtimes", exchange -> {
            ports.add(exchange.getRemoteAddress().getPort());
            answer(exchange, 200, "application/json", "[]");
        });

        client.runtimes();
        client.withToken("t".repeat(32)).runtimes();
        client.withCallTimeout(Duration.ofSeconds(5)).withToken(null).runtimes();

        // each copy was a client of its own: a connection (and a selector thread) for every copy, for every call
        assertThat(ports).as("the calls' source ports").hasSize(1);
    }

    @Test
    void aTokenWithALineBreakIsRefusedWithoutQuotingIt() {
        String token = "secret-part-one\nsecret-part-two";
        // the JDK refused its header at each call, quoting "Bearer " and the token whole in its message
        assertThatThrownBy(() -> client.withToken(token)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("token: ").hasMessageNotContaining("secret");
    }

    @Test
    void aServerThatAnswersUnwellStillAnswersAndAClosedPortDoesNot() throws IOException {
        server.createContext("/healthz", exchange -> answer(exchange, 503, "application/problem+json", "{}"));
        assertThat(client.healthy()).isFalse();
        assertThat(client.answers()).as("a server is there").isTrue();

        int closed;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        assertThat(new HangarClient(URI.create("http://127.0.0.1:" + closed)).answers()).isFalse();
    }

    @Test
    void aFollowCutShortIsPickedUpAfterTheLastChunkSeenUntilTheJobIsFinal() {
        var logCalls = new ArrayList<String>();
        var states = new AtomicInteger();
        server.createContext("/v1/jobs/j-1/logs", exchange -> {
            String query = exchange.getRequestURI().getQuery();
            synchronized (logCalls) {
                logCalls.add(query);
            }
            if (query.contains("follow=true") && query.contains("after=0")) {
                answer(exchange, 200, "application/x-ndjson", chunk(1, "one\n") + "\n" + chunk(2, "two\n")); // then cut
            } else if (query.contains("follow=true") && logCalls.size() == 2) {
                answer(exchange, 503, "application/problem+json", "{\"title\":\"Queue unavailable\",\"status\":503}");
            } else if (query.contains("follow=true")) {
                answer(exchange, 200, "application/x-ndjson", chunk(3, "three\n"));
            } else {
                answer(exchange, 200, "application/x-ndjson", "");
            }
        });
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 200, "application/json",
                job(states.incrementAndGet() < 2 ? "RUNNING" : "SUCCEEDED")));
        List<LogChunk> seen = new ArrayList<>();

        Job done = client.follow("j-1", 0, Duration.ofSeconds(10), seen::add);

        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(seen).extracting(c -> new String(c.data(), StandardCharsets.UTF_8)).containsExactly("one\n", "two\n", "three\n");
        assertThat(logCalls).containsExactly("format=ndjson&follow=true&after=0", "format=ndjson&follow=true&after=2",
                "format=ndjson&follow=true&after=2", "format=ndjson&follow=false&after=3");
    }

    @Test
    void aFollowWhoseStreamIsCutMidLineIsPickedUpAfterTheLastWholeChunk() {
        var logCalls = new ArrayList<String>();
        server.createContext("/v1/jobs/j-1/logs", exchange -> {
            String query = exchange.getRequestURI().getQuery();
            synchronized (logCalls) {
                logCalls.add(query);
            }
            if (query.contains("after=0")) {
                String second = chunk(2, "two\n");
                // the connection closed halfway through the second chunk's line
                answer(exchange, 200, "application/x-ndjson", chunk(1, "one\n") + second.substring(0, second.length() / 2));
            } else {
                answer(exchange, 200, "application/x-ndjson", query.contains("after=1") ? chunk(2, "two\n") : "");
            }
        });
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 200, "application/json", job("SUCCEEDED")));
        List<LogChunk> seen = new ArrayList<>();

        // it failed the follow: the cut line read as an answer that could not be read
        assertThat(client.follow("j-1", 0, Duration.ofSeconds(10), seen::add).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(seen).extracting(c -> new String(c.data(), StandardCharsets.UTF_8)).containsExactly("one\n", "two\n");
    }

    @Test
    void aReadWhoseStreamIsCutIsReadOnAfterTheLastWholeChunkAndOneCutEachTimeIsGivenUp() {
        server.createContext("/v1/jobs/j-1/logs", exchange -> {
            String query = exchange.getRequestURI().getQuery();
            String second = chunk(2, "two\n");
            if (query.contains("after=0")) {
                answer(exchange, 200, "application/x-ndjson", chunk(1, "one\n") + second.substring(0, second.length() / 2));
            } else {
                answer(exchange, 200, "application/x-ndjson", second + chunk(3, "three\n"));
            }
        });
        List<LogChunk> seen = new ArrayList<>();

        client.output("j-1", 0, Duration.ofSeconds(10), seen::add);

        assertThat(seen).extracting(c -> new String(c.data(), StandardCharsets.UTF_8)).containsExactly("one\n", "two\n", "three\n");
        // a stream cut at the same place each time (a proxy's limit below one chunk) moves on no chunk: given up
        server.createContext("/v1/jobs/j-2/logs", exchange -> answer(exchange, 200, "application/x-ndjson", "{\"seq\": 1, \"da"));
        assertThatThrownBy(() -> client.output("j-2", 0, Duration.ofSeconds(2), chunk -> { }))
                .isInstanceOf(HangarUnreachableException.class);
    }

    @Test
    void aFollowRefusedForTooManyStreamsTriesAgain() {
        var calls = new AtomicInteger();
        server.createContext("/v1/jobs/j-1/logs", exchange -> {
            if (calls.incrementAndGet() == 1) {
                answer(exchange, 429, "application/problem+json", "{\"title\":\"Too many streams\",\"status\":429}");
            } else {
                answer(exchange, 200, "application/x-ndjson", exchange.getRequestURI().getQuery().contains("after=0")
                        ? chunk(1, "one\n") : "");
            }
        });
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 200, "application/json", job("SUCCEEDED")));
        List<LogChunk> seen = new ArrayList<>();

        assertThat(client.follow("j-1", 0, Duration.ofSeconds(10), seen::add).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(seen).hasSize(1);
    }

    @Test
    void aFollowRefusedAStreamLongerThanItWouldWaitForAServerReadsTheOutputWithoutOneToTheJobsEnd() {
        var gets = new AtomicInteger();
        server.createContext("/v1/jobs/j-1/logs", exchange -> {
            if (exchange.getRequestURI().getQuery().contains("follow=true")) {
                answer(exchange, 429, "application/problem+json", "{\"title\":\"Too many streams\",\"status\":429}");
            } else {
                long after = Long.parseLong(exchange.getRequestURI().getQuery().replaceAll(".*after=(\\d+).*", "$1"));
                answer(exchange, 200, "application/x-ndjson", after < 1 ? chunk(1, "one\n") : after < 2 && gets.get() > 1
                        ? chunk(2, "two\n") : "");
            }
        });
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 200, "application/json",
                job(gets.incrementAndGet() < 3 ? "RUNNING" : "SUCCEEDED")));
        List<LogChunk> seen = new ArrayList<>();

        assertThat(client.follow("j-1", 0, Duration.ofMillis(100), seen::add).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(seen).extracting(LogChunk::seq).containsExactly(1L, 2L);
    }

    @Test
    void anEventStreamReadsAheadBoundedlyAndItsResumeIdIsTheLastEventTaken() throws Exception {
        int sent = EventStream.READ_AHEAD * 8; // 32 MB: more than the sockets between hold
        var written = new java.util.concurrent.atomic.AtomicInteger();
        server.createContext("/v1/events", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 1; i <= sent; i++) {
                    out.write(("id: " + i + "\nevent: job\ndata: {\"n\":" + i + ",\"pad\":\"" + "x".repeat(4000) + "\"}\n\n")
                            .getBytes(StandardCharsets.UTF_8));
                    written.set(i);
                }
            } catch (IOException e) {
                // the client went away
            }
        });

        try (EventStream stream = client.events(null)) {
            assertThat(stream.next(Duration.ofSeconds(10)).id()).isEqualTo("1");
            assertThat(stream.next(Duration.ofSeconds(10)).id()).isEqualTo("2");
            // a caller that stops taking: the reading stops too, the rest waiting in the sockets, not in memory here
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10)).until(() -> written.get() < sent);

            // it said the id of the last event read, hundreds ahead: a resume from it skipped what was never taken
            assertThat(stream.lastEventId()).isEqualTo("2");

            stream.close();
            assertThat(stream.next(Duration.ofSeconds(30))).as("closed: nothing read ahead is handed out").isNull();
        }
    }

    @Test
    void aCallInterruptedByItsCallerSaysSoRatherThanThatNoServerIsThere() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        server.createContext("/v1/jobs/j-1", exchange -> {
            asked.countDown();
            try {
                Thread.sleep(30_000); // took the call, says nothing
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        var failure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
        var stillInterrupted = new java.util.concurrent.atomic.AtomicBoolean();
        Thread caller = new Thread(() -> {
            try {
                client.get("j-1");
            } catch (RuntimeException e) {
                failure.set(e);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        caller.start();
        asked.await();
        caller.interrupt();
        caller.join(10_000);

        assertThat(failure.get()).isInstanceOf(HangarUnreachableException.class)
                .hasMessageContaining("interrupted while waiting for the Hangar server").hasMessageContaining("GET /v1/jobs/j-1")
                .hasMessageNotContaining("no Hangar server");
        assertThat(((HangarUnreachableException) failure.get()).serverThere()).as("no advice to start one").isTrue();
        assertThat(stillInterrupted).as("the caller's interrupt kept").isTrue();
    }

    @Test
    void anEventStreamWhoseServerNeverAnswersFailsWithinTheCallTimeoutAsUnreachable() {
        server.createContext("/v1/events", exchange -> {
            try {
                Thread.sleep(30_000); // took the connection, says nothing
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        var waitsLittle = new HangarClient(client.url(), Duration.ofMillis(500), null, Duration.ofMillis(300));
        long began = System.nanoTime();

        assertThatThrownBy(() -> waitsLittle.events(null)).isInstanceOf(HangarUnreachableException.class)
                .hasMessageContaining("did not answer GET /v1/events");
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aLogStreamWhoseServerNeverAnswersFailsWithinTheCallTimeoutAndOneThatAnsweredRunsPastIt() {
        server.createContext("/v1/jobs/j-1/logs", exchange -> {
            try {
                Thread.sleep(30_000); // took the connection, says nothing: a frozen server a follow reconnects to
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.createContext("/v1/jobs/j-2/logs", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int seq = 1; seq <= 3; seq++) {
                    out.write(chunk(seq, "line\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(400); // three of these outlast the call timeout
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        var waitsLittle = new HangarClient(client.url(), Duration.ofMillis(500), null, Duration.ofSeconds(5));
        long began = System.nanoTime();

        assertThatThrownBy(() -> waitsLittle.logs("j-1", true, 0, chunk -> {}))
                .isInstanceOf(HangarUnreachableException.class).hasMessageContaining("did not answer GET /v1/jobs/j-1/logs");
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
        List<LogChunk> seen = new ArrayList<>();
        waitsLittle.logs("j-2", true, 0, seen::add);
        assertThat(seen).extracting(LogChunk::seq).containsExactly(1L, 2L, 3L);
    }

    /** The headers of an output stream, then nothing for this long. */
    private static void answerThenSayNothing(HttpExchange exchange, long millis) throws java.io.IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().flush();
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aFollowedStreamThatCarriesNothingNotEvenAKeepAliveIsTakenForCut() {
        // as a server whose host went without a word: the headers came, then nothing
        server.createContext("/v1/jobs/j-1/logs", exchange -> answerThenSayNothing(exchange, 30_000));
        var waitsLittle = new HangarClient(client.url(), Duration.ofSeconds(5), null, Duration.ofMillis(300));
        long began = System.nanoTime();

        assertThatThrownBy(() -> waitsLittle.logs("j-1", true, 0, chunk -> {}))
                .isInstanceOf(HangarUnreachableException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aFollowWhoseStreamsAreCutForSilenceButAnsweredKeepsFollowing() {
        // as behind a proxy that holds the keep-alives back: each stream is answered, then silent
        var logCalls = new AtomicInteger();
        server.createContext("/v1/jobs/j-1/logs", exchange -> {
            boolean following = exchange.getRequestURI().getQuery().contains("follow=true");
            if (following && logCalls.incrementAndGet() <= 4) {
                answerThenSayNothing(exchange, 5_000);
                exchange.close();
            } else {
                answer(exchange, 200, "application/x-ndjson", following ? chunk(1, "done\n") : "");
            }
        });
        server.createContext("/v1/jobs/j-1", exchange -> answer(exchange, 200, "application/json",
                job(logCalls.get() < 5 ? "RUNNING" : "SUCCEEDED")));
        var waitsLittle = new HangarClient(client.url(), Duration.ofSeconds(5), null, Duration.ofMillis(300));
        List<LogChunk> seen = new ArrayList<>();

        // four cuts and their pauses take longer than the second it may go without a server
        assertThat(waitsLittle.follow("j-1", 0, Duration.ofSeconds(1), seen::add).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(seen).hasSize(1);
    }

    @Test
    void aFollowGivesUpOnceTheServerStaysAwayLongerThanItWaits() {
        server.createContext("/v1/jobs/j-1/logs", exchange -> answer(exchange, 503, "application/problem+json",
                "{\"title\":\"Queue unavailable\",\"status\":503}"));

        assertThatThrownBy(() -> client.follow("j-1", 0, Duration.ofSeconds(1), chunk -> {}))
                .isInstanceOfSatisfying(HangarApiException.class, e -> assertThat(e.status()).isEqualTo(503));
    }
}
