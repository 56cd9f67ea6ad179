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
}
