package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.json.Json;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.runtime.OutputSink;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code hangar logs} against a stand-in server: a job's output, each run of it told from the one before. */
class LogsCommandTest {
    @Test
    void eachRunOfAJobIsMarkedWhereItsOutputBegins() throws Exception {
        String logs = String.join("", List.of(
                chunk(1, 1, 1, "start\nhalf a"), // a run whose node was killed mid-line
                chunk(2, 1, 2, "start\n"), // the same attempt, run again elsewhere
                chunk(3, 1, 2, "failed\n"),
                chunk(4, 2, 3, "start\n"), // the retry
                chunk(5, 2, 3, "done\n")));
        try (var api = new StandInApi("/v1/jobs", (method, path) -> answer(path, logs))) {
            var printed = StandInApi.capture(() -> Main.run(new String[] {"logs", "--url", api.url(), "j-1"}));

            assertThat(printed.exitCode()).as("%s", printed).isZero();
            assertThat(printed.out()).isEqualTo("start\nhalf astart\nfailed\nstart\ndone\n");
            // on a terminal the mark ran on from "half a"; it begins a line of its own
            assertThat(printed.err().lines()).containsExactly("",
                    "hangar: ── attempt 1, run again: the run above did not finish (its node stopped or stopped"
                            + " answering, its sandbox failed, or its output could not be stored) ──",
                    "hangar: ── attempt 2 ──");
        }
    }

    @Test
    void jsonLinesAreTheChunksAsTheyAreWithNoMarks() throws Exception {
        String logs = chunk(1, 1, 1, "start\n") + chunk(2, 2, 2, "again\n");
        try (var api = new StandInApi("/v1/jobs", (method, path) -> answer(path, logs))) {
            var printed = StandInApi.capture(() -> Main.run(new String[] {"logs", "--url", api.url(), "--json", "j-1"}));

            assertThat(printed.out().lines()).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("{\"seq\":"));
            assertThat(printed.err()).isEmpty();
        }
    }

    @Test
    void aReadCutShortIsReadOnAfterTheLastChunkSeen() throws Exception {
        var asked = new java.util.concurrent.CopyOnWriteArrayList<String>();
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(
                java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/jobs", exchange -> {
            String query = String.valueOf(exchange.getRequestURI().getQuery());
            asked.add(exchange.getRequestURI().getPath() + "?" + query);
            boolean logs = exchange.getRequestURI().getPath().endsWith("/logs");
            exchange.sendResponseHeaders(200, 0);
            var out = exchange.getResponseBody();
            if (!logs) {
                out.write(Json.write(job()).getBytes(StandardCharsets.UTF_8));
            } else if (query.contains("after=0")) {
                out.write((chunk(1, 1, 1, "one\n") + chunk(2, 1, 1, "two\n")).getBytes(StandardCharsets.UTF_8));
                out.flush();
                // as a server that gave up on a slow reader: the connection dropped, the stream unended
                throw new java.io.IOException("cut");
            } else {
                out.write(chunk(3, 1, 1, "three\n").getBytes(StandardCharsets.UTF_8));
            }
            out.close();
        });
        server.start();
        try {
            var printed = StandInApi.capture(() -> Main.run(new String[] {"logs", "--url", "http://127.0.0.1:"
                    + server.getAddress().getPort(), "j-1"}));

            // it printed one and two, then "no Hangar server at ...; start one with 'hangar up'", and ended with 1
            assertThat(printed.exitCode()).as("%s", printed).isZero();
            assertThat(printed.out()).isEqualTo("one\ntwo\nthree\n");
            assertThat(asked).anyMatch(ask -> ask.contains("after=2"));
        } finally {
            server.stop(0);
        }
    }

    private static StandInApi.Answer answer(String path, String logs) {
        return new StandInApi.Answer(200, path.endsWith("/logs") ? logs : Json.write(job()));
    }

    private static dev.hangar.core.job.Job job() {
        java.time.Instant at = java.time.Instant.parse("2026-12-06T00:00:00Z");
        return new dev.hangar.core.job.Job("j-1", dev.hangar.core.job.JobSpec.builder().command("true").build(),
                dev.hangar.core.job.JobState.SUCCEEDED, 2, 3, new dev.hangar.core.job.Timings(at, at, at, at, at),
                "n1", "process", null, 0, null, false, false);
    }

    private static String chunk(long seq, int attempt, int delivery, String text) {
        return Json.write(new LogChunk(seq, attempt, delivery, OutputSink.Stream.STDOUT,
                text.getBytes(StandardCharsets.UTF_8))) + "\n";
    }
}
