package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.agent.FakePrestartingRuntime.FakeSandbox;
import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.Resources;
import dev.hangar.core.job.StartPath;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's job path with warm pools, over a real store and a test double runtime. */
class AgentPoolTest {
    private static final Duration WAIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;
    private final FakePrestartingRuntime runtime = new FakePrestartingRuntime();
    private QueueBackend queue;
    private Agent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        if (queue != null) {
            queue.close();
        }
    }

    private Agent start(int maxJobs, PoolSpec... pools) {
        return start(maxJobs, 64 * 1024, 0, pools);
    }

    private Agent start(int maxJobs, long memoryMb, long poolMemoryMb, PoolSpec... pools) {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        AgentConfig config = new AgentConfig("node", 64, memoryMb, List.of(), maxJobs, Duration.ofSeconds(30),
                Duration.ofMillis(100), false, dev.hangar.core.job.MountPolicy.none(), java.util.Set.of(),
                PoolConfig.of(List.of(pools), poolMemoryMb));
        agent = new Agent(config, queue, List.of(runtime)).start();
        return agent;
    }

    @Test
    void aPoolOfARuntimeWhoseProbeFailedHereIsLeftOutAndTheNodeRunsJobsOfItsOtherRuntimes() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        var failing = new FakePrestartingRuntime();
        failing.failCreates(true);
        SandboxRuntime broken = named("gvisor", RuntimeProbe.unavailable("runsc: no such file (test)"), failing);
        AgentConfig config = new AgentConfig("node", 64, 64 * 1024, List.of(), 2, Duration.ofSeconds(30),
                Duration.ofMillis(100), false, dev.hangar.core.job.MountPolicy.none(), java.util.Set.of(),
                PoolConfig.of(List.of(new PoolSpec("g", "gvisor", null, 1.0, 256L, 1, 1, 300), pool(1, 1)), 0));
        agent = new Agent(config, queue, List.of(runtime, broken)).start();

        assertThat(agent.pools().pools()).extracting(p -> p.spec().name()).containsExactly("p");
        String id = queue.enqueue(job("echo", "hi")).job().id();
        await().atMost(Duration.ofSeconds(30)).until(() -> queue.get(id).orElseThrow().state() == JobState.SUCCEEDED);
    }

    @Test
    void aWarmSandboxThatDiedSinceTheLastUpkeepIsNotCountedSoTheJobGoesWhereItStartsFastestCold() {
        SandboxRuntime quick = named("quick", RuntimeProbe.available(Duration.ofMillis(1), Map.of()), new FakePrestartingRuntime());
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        AgentConfig config = new AgentConfig("node", 64, 64 * 1024, List.of(), 2, Duration.ofSeconds(30),
                Duration.ofMillis(100), false, dev.hangar.core.job.MountPolicy.none(), java.util.Set.of(),
                PoolConfig.of(List.of(pool(1, 1)), 0));
        agent = new Agent(config, queue, List.of(runtime, quick)).start();
        await().atMost(WAIT).until(() -> pool().ready() == 1);
        runtime.failCreates(true); // neither the pool's upkeep nor a cold start on it makes another
        runtime.sandboxes().getFirst().killLauncher();

        String id = queue.enqueue(JobSpec.builder().command("echo", "hi")
                .resources(new Resources(1.0, 256L, null, null, null, null)).build()).job().id();

        Job job = awaitFinal(id);
        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        // the dead sandbox used to be counted: the job went to the pool's runtime to boot cold there (here: to
        // fail and be given back), the record saying a warm sandbox was ready
        assertThat(job.runtime()).isEqualTo("quick");
        assertThat(job.deliveries()).isEqualTo(1);
        assertThat(job.selection().reason()).doesNotContain("warm sandbox ready");
    }

    /** A runtime of this name and probe that makes its sandboxes with another. */
    private static SandboxRuntime named(String name, RuntimeProbe probe, SandboxRuntime maker) {
        return new SandboxRuntime() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String description() {
                return name + " (test)";
            }

            @Override
            public RuntimeCapabilities capabilities() {
                return maker.capabilities();
            }

            @Override
            public RuntimeProbe probe() {
                return probe;
            }

            @Override
            public Sandbox create(SandboxSpec spec) throws SandboxException {
                return maker.create(spec);
            }
        };
    }

    private static PoolSpec pool(int min, int max) {
        return new PoolSpec("p", FakePrestartingRuntime.NAME, null, 1.0, 256L, min, max, 300);
    }

    /** A job with the pool's resources, as a job must have to take one of its sandboxes. */
    private static JobSpec job(String... command) {
        return JobSpec.builder().command(command).runtime(FakePrestartingRuntime.NAME)
                .resources(new Resources(1.0, 256L, null, null, null, null)).build();
    }

    private PoolStatus pool() {
        return agent.pools().pools().getFirst();
    }

    private Job awaitFinal(String id) {
        // no first delay: a burst awaits 500 jobs, most already final
        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> queue.get(id).orElseThrow().isFinal());
        return queue.get(id).orElseThrow();
    }

    @Test
    void aPooledJobRunsInASandboxCreatedBeforeItWasSubmitted() {
        start(8, pool(2, 2));
        await().atMost(WAIT).until(() -> pool().ready() == 2);

        Job job = awaitFinal(queue.enqueue(job("echo", "warm")).job().id());

        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.timings().path()).isEqualTo(StartPath.WARM);
        assertThat(job.timings().sandboxId()).startsWith("pool-p-");
        assertThat(job.timings().sandboxCreatedAt()).isBefore(job.timings().submittedAt());
        assertThat(job.timings().sandboxReadyAt()).isBefore(job.timings().submittedAt());
        assertThat(job.selection().runtime()).isEqualTo(FakePrestartingRuntime.NAME);
        FakeSandbox sandbox = runtime.sandbox(job.timings().sandboxId());
        assertThat(sandbox.execs()).isEqualTo(1);
        assertThat(sandbox.destroyed()).as("destroyed after its one job").isTrue();
        assertThat(new String(queue.readLog(job.id(), 0, 10).getFirst().data())).isEqualTo("warm\n");
    }

    @Test
    void aJobThatNeedsTheMemoryWarmSandboxesHoldGetsItAndThePoolRefillsOnceItEnds() {
        start(8, 1024, 512, pool(2, 2));
        await().atMost(WAIT).until(() -> pool().ready() == 2);

        String big = queue.enqueue(job("block").toBuilder().resources(new Resources(1.0, 768L, null, null, null, null))
                .build()).job().id();

        // 768 of the node's 1024 MB reserved for the job: the pool keeps one sandbox of 256, not two
        await().atMost(WAIT).until(() -> queue.get(big).orElseThrow().state() == JobState.RUNNING && pool().ready() == 1);
        assertThat(agent.pools().budget().heldMb()).isEqualTo(256);
        assertThat(pool().evicted()).as("given up for the job").isEqualTo(1);
        assertThat(pool().expired()).as("none idled out").isZero();
        queue.cancel(big);
        awaitFinal(big);
        await().atMost(WAIT).until(() -> pool().ready() == 2);
    }

    @Test
    void jobsThatDoNotFitThePoolStartCold() {
        start(8, pool(1, 1));
        await().atMost(WAIT).until(() -> pool().ready() == 1);

        Job bigger = awaitFinal(queue.enqueue(job("echo").toBuilder()
                .resources(new Resources(1.0, 1024L, null, null, null, null)).build()).job().id());
        Job otherImage = awaitFinal(queue.enqueue(job("echo").toBuilder().image("debian").build()).job().id());

        for (Job job : List.of(bigger, otherImage)) {
            assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(job.timings().path()).isEqualTo(StartPath.COLD);
            assertThat(job.timings().sandboxCreatedAt()).isAfter(job.timings().submittedAt());
            assertThat(job.timings().sandboxReadyAt()).isNotNull();
        }
        assertThat(pool().served()).isZero();
        assertThat(pool().ready()).isEqualTo(1);
    }

    @Test
    void aBurstOf500JobsAgainstAPoolOf8AllSucceedTheEmptyPoolSendsJobsColdAndNoSandboxServesTwice() {
        start(16, pool(8, 8));
        await().atMost(WAIT).until(() -> pool().ready() == 8);

        var ids = new ArrayList<String>();
        for (int i = 0; i < 500; i++) {
            ids.add(queue.enqueue(job("echo", "burst-" + i)).job().id());
        }
        List<Job> jobs = ids.stream().map(this::awaitFinal).toList();

        assertThat(jobs).allSatisfy(job -> assertThat(job.state()).isEqualTo(JobState.SUCCEEDED));
        Map<StartPath, Long> byPath = jobs.stream().collect(Collectors.groupingBy(j -> j.timings().path(),
                Collectors.counting()));
        PoolStatus status = pool();
        assertThat(status.served()).as("refilled continuously").isGreaterThan(8);
        assertThat(byPath.get(StartPath.WARM)).isEqualTo(status.served());
        assertThat(byPath.getOrDefault(StartPath.COLD, 0L)).as("found the pool empty").isEqualTo(status.missed());
        assertThat(new HashSet<>(jobs.stream().map(j -> j.timings().sandboxId()).toList())).hasSize(500);
        assertThat(runtime.sandboxes()).allSatisfy(s -> assertThat(s.execs()).isLessThanOrEqualTo(1));
        await().atMost(WAIT).until(() -> pool().ready() == 8 && pool().inUse() == 0);
    }

    @Test
    void theSelectorSeesTheReadySandboxes() {
        start(8, pool(2, 2));
        await().atMost(WAIT).until(() -> pool().ready() == 2);
        assertThat(agent.pools().readyFor(job("echo")).ready(FakePrestartingRuntime.NAME)).isEqualTo(2);
    }
}
