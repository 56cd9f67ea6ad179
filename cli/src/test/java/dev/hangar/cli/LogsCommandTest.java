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
                chunk(1, 1, 1, "start\n"), // a run whose node was killed
                chunk(2, 1, 2, "start\n"), // the same attempt, run again elsewhere
                chunk(3, 1, 2, "failed\n"),
                chunk(4, 2, 3, "start\n"), // the retry
                chunk(5, 2, 3, "done\n")));
        try (var api = new StandInApi("/v1/jobs", (method, path) -> new StandInApi.Answer(200, logs))) {
            var printed = StandInApi.capture(() -> Main.run(new String[] {"logs", "--url", api.url(), "j-1"}));

            assertThat(printed.exitCode()).as("%s", printed).isZero();
            assertThat(printed.out()).isEqualTo("start\nstart\nfailed\nstart\ndone\n");
            assertThat(printed.err().lines()).containsExactly(
                    "hangar: ── attempt 1, run again: the run above did not finish (its node stopped answering"
                            + " or its sandbox failed) ──",
                    "hangar: ── attempt 2 ──");
        }
    }

    @Test
    void jsonLinesAreTheChunksAsTheyAreWithNoMarks() throws Exception {
        String logs = chunk(1, 1, 1, "start\n") + chunk(2, 2, 2, "again\n");
        try (var api = new StandInApi("/v1/jobs", (method, path) -> new StandInApi.Answer(200, logs))) {
            var printed = StandInApi.capture(() -> Main.run(new String[] {"logs", "--url", api.url(), "--json", "j-1"}));

            assertThat(printed.out().lines()).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("{\"seq\":"));
            assertThat(printed.err()).isEmpty();
        }
    }

    private static String chunk(long seq, int attempt, int delivery, String text) {
        return Json.write(new LogChunk(seq, attempt, delivery, OutputSink.Stream.STDOUT,
                text.getBytes(StandardCharsets.UTF_8))) + "\n";
    }
}
