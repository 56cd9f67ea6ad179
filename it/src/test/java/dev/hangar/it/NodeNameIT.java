package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.agent.AgentConfig;
import dev.hangar.cli.EmbeddedHangar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's name is its own in a cluster: a second agent under it is refused and takes nothing from the first. */
class NodeNameIT {
    @Test
    void anAgentUnderANameAnotherAgentBeatsUnderIsRefusedAndTheOthersJobRunsOnUntouched(@TempDir Path dir)
            throws Exception {
        Host.assumeBubblewrap();
        AgentConfig twin = AgentConfig.forThisHost("twin").withRuntimes(Set.of("process"));
        try (ItRedis redis = ItRedis.start(ItRedis.Kind.SERVER);
                var first = EmbeddedHangar.start(redis.uri(), Files.createDirectories(dir.resolve("first")),
                        dir.resolve("images"), "127.0.0.1", 0, twin, Optional.empty())) {
            var api = new Api(first.url());
            String id = api.submit(Map.of("command", List.of("sleep", "30"))).path("id").asText();
            JsonNode running = api.awaitState(id, "RUNNING");

            // as a host cloned from the first's image would start, its host name for its node name
            assertThatThrownBy(() -> EmbeddedHangar.start(redis.uri(), Files.createDirectories(dir.resolve("second")),
                    dir.resolve("images"), "127.0.0.1", 0, twin, Optional.empty()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("--node-name: another agent is in the cluster as 'twin'");

            JsonNode after = api.job(id);
            assertThat(Api.state(after)).as("%s", after).isEqualTo("RUNNING");
            assertThat(after.path("deliveries").asInt()).as("not given back: %s", after)
                    .isEqualTo(running.path("deliveries").asInt());
            api.delete("/v1/jobs/" + id);
        }
    }
}
