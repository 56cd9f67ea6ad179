package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.agent.AgentConfig;
import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.cli.EmbeddedHangar;
import dev.hangar.core.pool.PoolSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nodes started as {@code hangar up --redis} starts them: each one's metrics count the cluster, as a server's do. */
class ClusterUpMetricsIT {
    private static final String READY = "hangar_pool_sandboxes{pool=\"small\",runtime=\"process\"} ";

    @Test
    void eachNodesMetricsCountTheWarmSandboxesOfEveryNodesPools(@TempDir Path dir) throws Exception {
        Host.assumeBubblewrap();
        var pools = PoolConfig.of(List.of(new PoolSpec("small", "process", null, 0.5, null, 1, 1, null)), 0);
        try (ItRedis redis = ItRedis.start(ItRedis.Kind.SERVER);
                var a = EmbeddedHangar.start(redis.uri(), Files.createDirectories(dir.resolve("a")), dir.resolve("images"),
                        "127.0.0.1", 0, node("a", pools), Optional.empty());
                var b = EmbeddedHangar.start(redis.uri(), Files.createDirectories(dir.resolve("b")), dir.resolve("images"),
                        "127.0.0.1", 0, node("b", pools), Optional.empty())) {
            var api = new Api(a.url());

            // a counted its own sandbox alone, though /metrics is documented to count the cluster's (max across servers)
            double counted = await("both nodes' ready sandboxes in a's metrics").atMost(Duration.ofSeconds(60))
                    .until(() -> ready(api.get("/metrics").body()), count -> count == 2.0);
            assertThat(counted).as("a's own sandbox and b's").isEqualTo(2.0);
            var other = new Api(b.url());
            double countedByB = await("both nodes' ready sandboxes in b's metrics").atMost(Duration.ofSeconds(60))
                    .until(() -> ready(other.get("/metrics").body()), count -> count == 2.0);
            assertThat(countedByB).as("b counts the same cluster, once its view has a's heartbeat").isEqualTo(2.0);
        }
    }

    private static AgentConfig node(String name, PoolConfig pools) {
        return AgentConfig.forThisHost(name).withRuntimes(Set.of("process")).withPools(pools);
    }

    private static double ready(String metrics) {
        return metrics.lines().filter(line -> line.startsWith(READY))
                .mapToDouble(line -> Double.parseDouble(line.substring(READY.length()).trim())).findFirst().orElse(-1);
    }
}
