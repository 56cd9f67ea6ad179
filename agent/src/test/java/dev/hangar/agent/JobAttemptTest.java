package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.agent.pool.PoolManager;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Resources;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.core.select.Selection;
import dev.hangar.runtime.support.MountPins;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One job attempt on its own, against a real store and the fake runtime: what it records when its agent goes. */
class JobAttemptTest {
    private static final Duration LEASE = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    private final FakePrestartingRuntime runtime = new FakePrestartingRuntime();
    private SqliteQueueBackend store;
    private PoolManager pools;

    @AfterEach
    void close() {
        if (pools != null) {
            pools.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aJobWhoseAgentClosedItsTimersUnderItIsNotFailedForIt() {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        var config = new AgentConfig("node", 8, 8 * 1024, List.of(), 8, LEASE, Duration.ofMillis(100), false,
                MountPolicy.none(), Set.of(), PoolConfig.of(List.of(), 0));
        pools = new PoolManager(config.pools(), List.of(runtime), config.memoryMb(), Clock.systemUTC()).start();
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        timers.shutdownNow(); // as a closing agent does, once it has waited for its jobs long enough
        var attempt = new JobAttempt(store, config, spec -> new Selection(FakePrestartingRuntime.NAME, "the test's", List.of(), List.of()),
                name -> Optional.of(runtime), new RuntimeHealth(Duration.ofSeconds(5), System::nanoTime), timers, pools,
                new JobAttempt.Mounts(MountPins.atDefaultRoot(), () -> {}),
                Clock.systemUTC());
        String id = store.enqueue(JobSpec.builder().command("block").runtime(FakePrestartingRuntime.NAME)
                .resources(new Resources(0.5, 128L, null, null, null, null)).build()).job().id();
        Lease lease = store.lease(new LeaseRequest("node", LEASE, 8, 8 * 1024, 0)).orElseThrow();

        attempt.run(new RunningJob(lease, List.of(), System.nanoTime()));

        // it used to be recorded FAILED, "agent error: RejectedExecutionException"
        assertThat(store.get(id).orElseThrow().state()).isEqualTo(JobState.RUNNING);
        assertThat(runtime.alive()).as("its sandbox is destroyed all the same").isZero();
    }
}
