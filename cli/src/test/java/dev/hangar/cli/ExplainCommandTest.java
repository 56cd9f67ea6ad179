package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.json.Json;
import org.junit.jupiter.api.Test;

/** {@code hangar explain} against a stand-in for a cluster's server that no node has joined yet. */
class ExplainCommandTest {
    private static final String NONE_YET = """
            {"runtime": null, "reason": "no runtime to choose yet; submitted now, it would wait in the queue: no node has\
             joined (test)", "rejected": [], "candidates": [], "waiting": "no node has joined (test)"}""";

    @Test
    void aJobASubmitWouldLeaveWaitingForANodeIsNoRefusalAndItsJsonSaysWhyItWouldWait() throws Exception {
        try (var api = new StandInApi("/v1/explain", NONE_YET)) {
            // it ended with 1, as for a job a submit refuses, though a submit takes it (StandInApi checks the 0)
            assertThat(api.run("explain", "--", "true")).startsWith("runtime: none yet\n");
            var json = Json.mapper().readTree(api.run("explain", "--json", "--", "true"));
            assertThat(json.path("waiting").asText()).isEqualTo("no node has joined (test)");
            assertThat(json.path("reason").asText()).startsWith("no runtime to choose yet");
        }
    }

    @Test
    void aFaultOfASpecFileIsNamedByItsFieldAloneAndOneOfFlagsByItsFlagToo(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        String refusal = """
                {"title": "Invalid job spec", "status": 400, "detail": "resources.memoryMb: must be between 1 and 4096",
                 "errors": [{"field": "resources.memoryMb", "reason": "must be between 1 and 4096, got -5"}]}""";
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("bad.json"),
                "{\"command\": [\"true\"], \"resources\": {\"memoryMb\": -5}}");
        try (var api = new StandInApi("/v1/explain", (method, path) -> new StandInApi.Answer(400, refusal))) {
            var ofFile = StandInApi.capture(() -> Main.run("explain", "--url", api.url(), "-f", file.toString()));
            // it named --memory, a flag of run that the user never gave
            assertThat(ofFile.err()).as("%s", ofFile).contains("resources.memoryMb: must be between 1 and 4096, got -5")
                    .doesNotContain("--memory");

            var ofFlags = StandInApi.capture(() -> Main.run("explain", "--url", api.url(), "--memory", "-5", "--", "true"));
            assertThat(ofFlags.err()).as("%s", ofFlags).contains("--memory");
        }
    }
}
