package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.queue.JobStore;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import io.javalin.Javalin;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Following a job's output when the client goes or the queue does, over a real store. */
class LogStreamerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private Javalin app;
    /** Subscriptions of follows still open. */
    private final AtomicInteger following = new AtomicInteger();
    /** While set, reading the store fails as a queue out of reach does. */
    private final AtomicBoolean queueAway = new AtomicBoolean();

    private void start() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        JobStore store = counted(queue);
        var streamer = new LogStreamer(store, Duration.ofMillis(200), new StreamSlots(StreamSlots.PER_CALLER, StreamSlots.TOTAL));
        app = Javalin.create(config -> config.useVirtualThreads = true);
        app.exception(QueueException.class, (e, ctx) -> ctx.status(503).result("PROBLEM"));
        app.exception(ApiException.class, (e, ctx) -> ctx.status(e.status()).result(e.getMessage()));
        app.get("/logs/{id}", ctx -> streamer.stream(ctx, () -> store.get(ctx.pathParam("id")).orElseThrow()));
        app.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop();
        }
        if (queue != null) {
            queue.close();
        }
    }

    /** The store as the streamer sees it: its subscriptions counted, its reads failing while the queue is away. */
    private JobStore counted(JobStore real) {
        return (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class},
                (proxy, method, args) -> {
                    if (queueAway.get() && (method.getName().equals("readLog") || method.getName().equals("get"))) {
                        throw new QueueException("the queue is out of reach (test)", null);
                    }
                    try {
                        Object answer = method.invoke(real, args);
                        if (method.getName().equals("subscribe")) {
                            following.incrementAndGet();
                            AutoCloseable subscription = (AutoCloseable) answer;
                            return (AutoCloseable) () -> {
                                following.decrementAndGet();
                                subscription.close();
                            };
                        }
                        return answer;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private Socket follow(String id, String format) throws Exception {
        return follow(id, format, "Connection: close\r\n");
    }

    /** @param headers more request headers, each ending in CRLF */
    private Socket follow(String id, String format, String headers) throws Exception {
        var socket = new Socket("127.0.0.1", app.port());
        socket.setSoTimeout((int) WAIT.toMillis());
        socket.getOutputStream().write(("GET /logs/" + id + "?follow=true&format=" + format
                + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    @Test
    void aTailReadsTheNewestChunksHoldingAtLeastThatManyBytesAndSaysWhenEarlierOutputIsLeftOut() throws Exception {
        start();
        Job job = queue.enqueue(JobSpec.of("true")).job();
        var lease = queue.lease(new LeaseRequest("w", Duration.ofSeconds(30), 8, 4096, 1)).orElseThrow();
        for (int i = 1; i <= 400; i++) {
            queue.appendLog(lease, i, OutputSink.Stream.STDOUT, "line %03d\n".formatted(i).getBytes(StandardCharsets.UTF_8));
        }
        var http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, java.net.http.HttpResponse<String>> get = query -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + app.port() + "/logs/" + job.id() + "?" + query)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };

        var tail = get.apply("tail=25"); // 9 bytes a chunk: three hold at least 25
        assertThat(tail.body()).isEqualTo("line 398\nline 399\nline 400\n");
        assertThat(tail.headers().firstValue(LogStreamer.SKIPPED)).hasValue("true");

        assertThat(400).as("more chunks than a page of the read back").isGreaterThan(LogStreamer.TAIL_PAGE);
        var all = get.apply("tail=3600"); // the whole output, 400 chunks of 9 bytes, read back across pages
        assertThat(all.body()).startsWith("line 001\n").endsWith("line 400\n").hasSize(3600);
        assertThat(all.headers().firstValue(LogStreamer.SKIPPED)).as("nothing left out").isEmpty();
        assertThat(get.apply("tail=100000").body()).hasSize(3600);
        var pastAPage = get.apply("tail=" + 9 * (LogStreamer.TAIL_PAGE + 3));
        assertThat(pastAPage.body()).startsWith("line " + "%03d".formatted(400 - LogStreamer.TAIL_PAGE - 2) + "\n")
                .hasSize(9 * (LogStreamer.TAIL_PAGE + 3));
        assertThat(pastAPage.headers().firstValue(LogStreamer.SKIPPED)).hasValue("true");

        var inNdjson = get.apply("tail=9&format=ndjson");
        assertThat(inNdjson.body()).contains("\"seq\":400").doesNotContain("\"seq\":399");

        queue.starting(lease, "n1", dev.hangar.queue.testkit.TestJobs.selection("process"));
        queue.running(lease);
        queue.finish(lease, dev.hangar.core.queue.Outcome.succeeded(0, false)).orElseThrow();
        var followed = get.apply("tail=18&follow=true&format=ndjson"); // as the dashboard asks: the tail, then what comes
        assertThat(followed.body().lines().filter(line -> !line.isBlank()).toList()).hasSize(2)
                .allSatisfy(line -> assertThat(line).containsAnyOf("\"seq\":399", "\"seq\":400"));
        assertThat(followed.headers().firstValue(LogStreamer.SKIPPED)).hasValue("true");

        var both = get.apply("tail=9&after=3");
        assertThat(both.statusCode()).isEqualTo(400);
        assertThat(both.body()).startsWith("tail: ");
        assertThat(get.apply("tail=0").statusCode()).isEqualTo(400);
    }

    @Test
    void aFollowOfAQuietJobWhoseClientHasGoneEnds() throws Exception {
        start();
        Job waiting = queue.enqueue(JobSpec.of("true")).job(); // never runs: no output, never final
        try (Socket socket = follow(waiting.id(), "ndjson")) {
            socket.getInputStream().readNBytes(1); // the headers are on their way: the follow has begun
            await().atMost(WAIT).until(() -> following.get() == 1);
        }
        await("the follow of a client gone").atMost(WAIT).until(() -> following.get() == 0);
    }

    @Test
    void aQueueGoneWhileOutputIsFollowedCutsTheStreamWithoutWritingAProblemIntoIt() throws Exception {
        start();
        Job job = queue.enqueue(JobSpec.of("true")).job();
        var lease = queue.lease(new LeaseRequest("w", Duration.ofSeconds(30), 8, 4096, 1)).orElseThrow();
        queue.appendLog(lease, 1, OutputSink.Stream.STDOUT, "hello\n".getBytes(StandardCharsets.UTF_8));
        // a connection kept alive: the body comes in chunks, and only the last chunk says it is whole
        try (Socket socket = follow(job.id(), "raw", "")) {
            InputStream in = socket.getInputStream();
            var seen = new StringBuilder();
            while (!seen.toString().contains("hello")) {
                seen.append((char) in.read());
            }
            queueAway.set(true);
            seen.append(new String(readToTheEnd(in), StandardCharsets.US_ASCII)); // to the end of the connection
            assertThat(seen.toString()).contains("hello\n").doesNotContain("PROBLEM")
                    .as("cut, without the last chunk of a complete response").doesNotEndWith("0\r\n\r\n");
        }
        assertThat(following.get()).isZero();
    }

    /** What comes until the connection ends, closed or reset, or until nothing has come for a while. */
    private static byte[] readToTheEnd(InputStream in) {
        var out = new java.io.ByteArrayOutputStream();
        try {
            in.transferTo(out);
        } catch (java.io.IOException endedOrQuiet) {
            // what came before is what was sent
        }
        return out.toByteArray();
    }
}
