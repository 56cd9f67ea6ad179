package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Resources;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the cluster asks of a node: asked to drain, it takes no more jobs while those it runs finish, and
 * takes them again once resumed; asked to have other labels than its own, it leases jobs by them.
 */
class AgentAsksTest {
    /** When the registry says the node was asked to drain, by the server's clock. */
    private static final Instant ASKED_AT = Instant.parse("2026-12-01T00:00:00.123Z");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final FakePrestartingRuntime runtime = new FakePrestartingRuntime();
    private SqliteQueueBackend store;
    private Agent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        store.close();
    }

    private void start() {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        agent = new Agent(config(), store, List.of(runtime), Set::of).start();
    }

    /** A warm pool of one sandbox of the fake runtime: a drained node empties it. */
    private static AgentConfig config() {
        var pool = new PoolSpec("warm", FakePrestartingRuntime.NAME, null, 1.0, 256L, 1, 1, 300);
        return new AgentConfig("node", 8, 8 * 1024, List.of(), 4, Duration.ofSeconds(30), Duration.ofMillis(50), false,
                MountPolicy.none(), Set.of(), PoolConfig.of(List.of(pool), 0));
    }

    private PoolStatus pool() {
        return agent.status(Instant.now()).pools().getFirst();
    }

    private static JobSpec job(String... command) {
        return JobSpec.builder().command(command).runtime(FakePrestartingRuntime.NAME)
                .resources(new Resources(0.5, 128L, null, null, null, null)).build();
    }

    private JobState state(String id) {
        return store.get(id).orElseThrow().state();
    }

    @Test
    void aDrainingNodeTakesNoMoreJobsWhileItsRunningOneFinishesThenTakesThemOnceResumed() {
        start();
        String running = store.enqueue(job("block")).job().id();
        await().atMost(WAIT).until(() -> state(running) == JobState.RUNNING);

        await().atMost(WAIT).until(() -> pool().ready() == 1);

        agent.drain(ASKED_AT);
        await().atMost(WAIT).until(() -> agent.status(Instant.now()).draining());
        await().atMost(WAIT).until(() -> pool().ready() == 0 && runtime.alive() == 1); // the running job's own
        assertThat(pool().limitedBy()).as("why the pool is empty").contains("drained");
        String next = store.enqueue(job("echo", "later")).job().id();
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> state(next) == JobState.QUEUED);

        runtime.sandboxes().stream().filter(s -> !s.id().startsWith("pool-")).findFirst().orElseThrow().finishRunning(0);
        await().atMost(WAIT).until(() -> state(running) == JobState.SUCCEEDED);
        assertThat(store.get(running).orElseThrow().deliveries()).as("finished here, not handed back").isEqualTo(1);
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> state(next) == JobState.QUEUED);

        agent.drain(null); // resumed
        await().atMost(WAIT).until(() -> state(next) == JobState.SUCCEEDED);
        assertThat(agent.status(Instant.now()).draining()).isFalse();
        await().atMost(WAIT).until(() -> pool().ready() == 1);
        assertThat(pool().limitedBy()).isNull();
    }

    @Test
    void aNodeAskedBeforeItStartsTakesNoJobAtAll() {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        String queued = store.enqueue(job("echo", "waits")).job().id();
        agent = new Agent(config(), store, List.of(runtime), Set::of);
        agent.drain(ASKED_AT); // as a node restarted after it was drained for its maintenance
        agent.start();
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> state(queued) == JobState.QUEUED);
        assertThat(agent.draining()).isTrue();
        assertThat(runtime.sandboxes()).as("no warm sandbox made").isEmpty();
    }

    @Test
    void aLeaseUnderWayWhenTheAskComesIsCountedBeforeTheNodeSaysItHasSeenIt() throws Exception {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        var leasing = new java.util.concurrent.CountDownLatch(1);
        var answer = new java.util.concurrent.CountDownLatch(1);
        var slowLease = (dev.hangar.core.queue.QueueBackend) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {dev.hangar.core.queue.QueueBackend.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("lease") && result instanceof java.util.Optional<?> leased && leased.isPresent()) {
                        leasing.countDown();
                        answer.await(30, java.util.concurrent.TimeUnit.SECONDS); // the answer on its way back while the ask comes
                    }
                    return result;
                });
        agent = new Agent(config(), slowLease, List.of(runtime), Set::of).start();
        String leased = store.enqueue(job("block")).job().id();
        assertThat(leasing.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        try {
            agent.drain(ASKED_AT);
            assertThat(agent.status(Instant.now()).draining()).as("not yet: a job is being leased").isFalse();
        } finally {
            answer.countDown();
        }
        await().atMost(WAIT).until(() -> agent.status(Instant.now()).draining());
        assertThat(agent.status(Instant.now()).load().runningJobs()).as("the job leased meanwhile counted").isEqualTo(1);
        await().atMost(WAIT).until(() -> state(leased) == JobState.RUNNING);
    }

    @Test
    void eachHeartbeatTellsTheNodeWhetherItIsAskedToDrainAndSaysItHasSeenIt() {
        start();
        var registry = new dev.hangar.queue.testkit.InMemoryNodeRegistry();
        var beats = registry.beats;
        var asked = registry.drainAsks;
        try (var heartbeat = new NodeHeartbeat(registry, "node", "i1", clock -> agent.status(clock.instant()), agent::drain,
                agent::relabel, Duration.ofMillis(150), Clock.systemUTC()).start()) {
            assertThat(beats.getLast().draining()).isFalse();
            asked.put("node", ASKED_AT);
            await().atMost(WAIT).until(() -> beats.getLast().draining());
            assertThat(beats.getLast().drainAskedAt()).as("the ask it has seen").isEqualTo(ASKED_AT);
            assertThat(agent.draining()).isTrue();

            // resumed and asked again between two beats: still drained, under the new ask
            Instant again = ASKED_AT.plusSeconds(60);
            asked.put("node", again);
            await().atMost(WAIT).until(() -> again.equals(beats.getLast().drainAskedAt()));
            assertThat(beats.getLast().draining()).isTrue();

            asked.clear();
            await().atMost(WAIT).until(() -> !beats.getLast().draining());
            assertThat(beats.getLast().drainAskedAt()).isNull();
            assertThat(agent.draining()).isFalse();
        }
    }

    private String enqueueFor(String zone) {
        return store.enqueue(JobSpec.builder().command("echo", zone).runtime(FakePrestartingRuntime.NAME)
                .resources(new Resources(0.5, 128L, null, null, null, null)).nodeSelector(Map.of("zone", zone)).build())
                .job().id();
    }

    @Test
    void eachHeartbeatGivesTheNodeTheLabelsAskedInPlaceOfItsOwnAndItsOwnAgainOnceTakenBack() {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        agent = new Agent(config().withLabels(Map.of("zone", "r1")), store, List.of(runtime), Set::of).start();
        var registry = new dev.hangar.queue.testkit.InMemoryNodeRegistry();
        try (var heartbeat = new NodeHeartbeat(registry, "node", "i1", clock -> agent.status(clock.instant()), agent::drain,
                agent::relabel, Duration.ofMillis(150), Clock.systemUTC()).start()) {
            String forR2 = enqueueFor("r2");
            String first = enqueueFor("r1");
            await().atMost(WAIT).until(() -> state(first) == JobState.SUCCEEDED);
            assertThat(state(forR2)).as("not for its own labels").isEqualTo(JobState.QUEUED);
            assertThat(registry.beats.getLast().labels()).isEqualTo(Map.of("zone", "r1"));
            assertThat(registry.beats.getLast().ownLabels()).as("its own: not named again").isNull();

            registry.relabel("node", Map.of("zone", "r2", "rack", "7"));
            await().atMost(WAIT).until(() -> state(forR2) == JobState.SUCCEEDED);
            await().atMost(WAIT).until(() -> registry.beats.getLast().labels().equals(Map.of("zone", "r2", "rack", "7")));
            assertThat(registry.beats.getLast().ownLabels()).as("a reset gives it these again").isEqualTo(Map.of("zone", "r1"));
            String forR1 = enqueueFor("r1");
            await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> state(forR1) == JobState.QUEUED);

            registry.relabel("node", null);
            await().atMost(WAIT).until(() -> state(forR1) == JobState.SUCCEEDED);
            await().atMost(WAIT).until(() -> registry.beats.getLast().labels().equals(Map.of("zone", "r1")));
            assertThat(agent.labels()).isEqualTo(Map.of("zone", "r1"));
        }
    }
}
