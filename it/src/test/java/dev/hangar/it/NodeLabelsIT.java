package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.agent.AgentConfig;
import dev.hangar.cli.EmbeddedHangar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One node's labels across restarts: a job queued for labels the node was restarted without waits,
 * saying why, and runs once the node has them again.
 */
class NodeLabelsIT {
    @Test
    void aJobQueuedForLabelsTheNodeWasRestartedWithoutWaitsSayingWhyAndRunsOnceItHasThemAgain(@TempDir Path dir)
            throws Exception {
        Host.assumeBubblewrap();
        Path data = Files.createDirectories(dir.resolve("data"));
        AgentConfig node = AgentConfig.forThisHost("labelled").withRuntimes(Set.of("process"));
        Map<String, Object> spec = Map.of("command", List.of("sleep", "2"), "nodeSelector", Map.of("zone", "a"));
        String id;
        try (var labelled = EmbeddedHangar.start(data, dir.resolve("images"), "127.0.0.1", 0,
                node.withLabels(Map.of("zone", "a")))) {
            var api = new Api(labelled.url());
            id = api.submit(spec).path("id").asText();
            api.awaitState(id, "RUNNING");
        } // its running job goes back to the queue

        try (var bare = EmbeddedHangar.start(data, dir.resolve("images"), "127.0.0.1", 0, node)) {
            var api = new Api(bare.url());
            JsonNode waiting = api.job(id);
            assertThat(Api.state(waiting)).as("%s", waiting).isEqualTo("QUEUED");
            assertThat(waiting.path("waiting").asText()).isEqualTo("no node that is up can run it: nodeSelector.zone:"
                    + " the node has no label 'zone' (it has no labels; a node is given them with --label KEY=VALUE on hangar"
                    + " agent or hangar up)");
            Api.Answer refused = api.postJobs(spec);
            assertThat(refused.status()).as("%s", refused).isEqualTo(400);
            assertThat(refused.body()).contains("nodeSelector.zone");
        }

        try (var again = EmbeddedHangar.start(data, dir.resolve("images"), "127.0.0.1", 0,
                node.withLabels(Map.of("zone", "a", "rack", "7")))) {
            JsonNode done = new Api(again.url()).awaitFinal(id);
            assertThat(Api.state(done)).as("%s", done).isEqualTo("SUCCEEDED");
            assertThat(done.has("waiting")).isFalse();
        }
    }

    @Test
    void aJobQueuedForMoreMemoryThanTheNodeWasRestartedWithWaitsSayingWhy(@TempDir Path dir) throws Exception {
        Host.assumeBubblewrap();
        Path data = Files.createDirectories(dir.resolve("data"));
        AgentConfig node = AgentConfig.forThisHost("shrunk").withRuntimes(Set.of("process"));
        Map<String, Object> spec = Map.of("command", List.of("sleep", "2"), "resources", Map.of("memoryMb", 512));
        String id;
        try (var roomy = EmbeddedHangar.start(data, dir.resolve("images"), "127.0.0.1", 0,
                node.withCapacity(node.cpus(), 1024, List.of()))) {
            var api = new Api(roomy.url());
            id = api.submit(spec).path("id").asText();
            api.awaitState(id, "RUNNING");
        } // its running job goes back to the queue

        try (var small = EmbeddedHangar.start(data, dir.resolve("images"), "127.0.0.1", 0,
                node.withCapacity(node.cpus(), 256, List.of()))) {
            JsonNode waiting = new Api(small.url()).job(id);
            // it sat QUEUED with no word: no lease here gives it 512 MiB, and nothing refused it
            assertThat(Api.state(waiting)).as("%s", waiting).isEqualTo("QUEUED");
            assertThat(waiting.path("waiting").asText()).startsWith("no node that is up can run it: resources.memoryMb:");
        }
    }
}
