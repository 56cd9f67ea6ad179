package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Resources;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node asked to have other labels than its own takes them at its next heartbeat, leases by them and advertises them. */
class AgentRelabelTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final FakePrestartingRuntime runtime = new FakePrestartingRuntime();
    private SqliteQueueBackend store;
    private Agent agent;

    @AfterEach
    void stop() {
        agent.close();
        store.close();
    }

    private String enqueueFor(String zone) {
        return store.enqueue(JobSpec.builder().command("echo", zone).runtime(FakePrestartingRuntime.NAME)
                .resources(new Resources(0.5, 128L, null, null, null, null)).nodeSelector(Map.of("zone", zone)).build())
                .job().id();
    }

    private JobState state(String id) {
        return store.get(id).orElseThrow().state();
    }

    @Test
    void eachHeartbeatGivesTheNodeTheLabelsAskedInPlaceOfItsOwnAndItsOwnAgainOnceTakenBack() {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        AgentConfig config = new AgentConfig("node", 8, 8 * 1024, List.of(), 4, Duration.ofSeconds(30),
                Duration.ofMillis(50), false, MountPolicy.none(), Set.of(), PoolConfig.of(List.of(), 0))
                .withLabels(Map.of("zone", "r1"));
        agent = new Agent(config, store, List.of(runtime), Set::of).start();
        var registry = new InMemoryNodeRegistry();
        try (var heartbeat = new NodeHeartbeat(registry, clock -> agent.status(clock.instant()), agent::drain,
                agent::relabel, Duration.ofMillis(150), Clock.systemUTC()).start()) {
            String forR2 = enqueueFor("r2");
            String first = enqueueFor("r1");
            await().atMost(WAIT).until(() -> state(first) == JobState.SUCCEEDED);
            assertThat(state(forR2)).as("not for its own labels").isEqualTo(JobState.QUEUED);
            assertThat(registry.beats.getLast().labels()).isEqualTo(Map.of("zone", "r1"));

            registry.relabel("node", Map.of("zone", "r2", "rack", "7"));
            await().atMost(WAIT).until(() -> state(forR2) == JobState.SUCCEEDED);
            await().atMost(WAIT).until(() -> registry.beats.getLast().labels().equals(Map.of("zone", "r2", "rack", "7")));
            String forR1 = enqueueFor("r1");
            await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> state(forR1) == JobState.QUEUED);

            registry.relabel("node", null);
            await().atMost(WAIT).until(() -> state(forR1) == JobState.SUCCEEDED);
            await().atMost(WAIT).until(() -> registry.beats.getLast().labels().equals(Map.of("zone", "r1")));
            assertThat(agent.labels()).isEqualTo(Map.of("zone", "r1"));
        }
    }
}
