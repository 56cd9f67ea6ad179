package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.agent.pool.ImageVersions;
import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.agent.pool.PoolManager;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Resources;
import dev.hangar.core.job.StartPath;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.select.Candidate;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.core.select.Selection;
import dev.hangar.runtime.support.MountPins;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        timers.shutdownNow(); // as a closing agent does, once it has waited for its jobs long enough
        JobAttempt attempt = attempt(timers);
        String id = store.enqueue(JobSpec.builder().command("block").runtime(FakePrestartingRuntime.NAME)
                .resources(new Resources(0.5, 128L, null, null, null, null)).build()).job().id();

        attempt.run(leased());

        // it used to be recorded FAILED, "agent error: RejectedExecutionException"; its wall time could not be
        // set, so the queue never hears it ran: it is left to its lease
        assertThat(store.get(id).orElseThrow().state()).isEqualTo(JobState.STARTING);
        assertThat(runtime.alive()).as("its sandbox is destroyed all the same").isZero();
    }

    @Test
    void aJobThisNodeRefusesForItsMountsKeepsNoRuntimeInItsRecord() {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            JobAttempt attempt = attempt(timers);
            String id = store.enqueue(JobSpec.builder().command("true").runtime(FakePrestartingRuntime.NAME)
                    .mounts(List.of(new Mount("/srv/data", "/data", true))).build()).job().id();

            attempt.run(leased());

            Job job = store.get(id).orElseThrow();
            assertThat(job.state()).isEqualTo(JobState.FAILED);
            assertThat(job.error()).contains("forbidden mount");
            // it used to keep the runtime the rules chose, which never ran it, and the rules' reason
            assertThat(job.runtime()).isNull();
            assertThat(job.selection().refused()).isTrue();
            assertThat(job.selection().reason()).isEqualTo(job.error());
            assertThat(runtime.alive()).isZero();
        } finally {
            timers.shutdownNow();
        }
    }

    /**
     * A run whose lease is lost records nothing, and the queue may hand its job to another node once
     * the lease runs out: a process that does not end when killed has its sandbox destroyed then, not
     * after the 30 s a cancelled or timed-out one is waited for.
     */
    @Test
    void aRunWhoseLeaseIsLostIsDestroyedWhenItsLeaseRunsOutThoughItsProcessIgnoresTheKill() throws Exception {
        // before, the run waited 30 s for the killed process, its sandbox alive meanwhile
        String id = stopAnUnkillableRun(Duration.ofSeconds(2), job -> job.stop(StopReason.LEASE_LOST));
        assertThat(store.get(id).orElseThrow().state()).as("nothing recorded: the lease is not its own").isEqualTo(JobState.RUNNING);
    }

    /** The queue's word that the lease is lost ends it at once, however long this node's last renewal let it expect. */
    @Test
    void aRunTheQueueSaysLostItsLeaseIsDestroyedAtOnceThoughItsRenewalHadTimeLeft() throws Exception {
        stopAnUnkillableRun(LEASE, RunningJob::leaseLost);
    }

    /** A renewal that was under way when the queue said the lease is lost, answered after: it holds the lease no more. */
    @Test
    void aRenewalAnsweredAfterTheQueueSaidTheLeaseIsLostDoesNotHoldItAgain() {
        long sent = System.nanoTime();
        var job = new RunningJob(new Lease("j-1", "token", "node", null), List.of(), sent + LEASE.toNanos());

        job.leaseLost();
        job.heldUntil(sent + LEASE.toNanos());

        assertThat(job.leftNanos(System.nanoTime())).isNotPositive();
    }

    /**
     * Runs a job whose process ignores a kill, its lease held for {@code heldFor} as of now, stops it
     * with {@code stop} once it runs, and checks that the run ends, its sandbox destroyed, well within
     * the 30 s a killed process is otherwise waited for; returns the job's id.
     */
    private String stopAnUnkillableRun(Duration heldFor, java.util.function.Consumer<RunningJob> stop) throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            JobAttempt attempt = attempt(timers);
            String id = store.enqueue(JobSpec.builder().command("unkillable").runtime(FakePrestartingRuntime.NAME)
                    .resources(new Resources(0.5, 128L, null, null, null, null)).build()).job().id();
            RunningJob job = leased();
            job.heldUntil(System.nanoTime() + heldFor.toNanos());
            var run = java.util.concurrent.CompletableFuture.runAsync(() -> attempt.run(job));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> store.get(id).orElseThrow().state() == JobState.RUNNING);

            stop.accept(job);

            run.get(15, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(runtime.alive()).as("its sandbox is destroyed").isZero();
            return id;
        } finally {
            timers.shutdownNow();
        }
    }

    @Test
    void aFailedProcessIsSaidToHaveExitedWithItsCodeAndOneAbove128MayHaveBeenASignal() {
        // it used to say "killed by signal 127" of an exit 255, a signal that does not exist
        assertThat(JobAttempt.failure(new dev.hangar.core.runtime.ExitStatus(255, List.of()))).isEqualTo("exited with code 255");
        assertThat(JobAttempt.failure(new dev.hangar.core.runtime.ExitStatus(1, List.of()))).isEqualTo("exited with code 1");
        assertThat(JobAttempt.failure(new dev.hangar.core.runtime.ExitStatus(127, List.of())))
                .isEqualTo("exited with code 127 (as for a program not found)");
        assertThat(JobAttempt.failure(new dev.hangar.core.runtime.ExitStatus(137, List.of("memory limit hit"))))
                .isEqualTo("exited with code 137 (as a process killed by SIGKILL does); memory limit hit");
        assertThat(JobAttempt.failure(new dev.hangar.core.runtime.ExitStatus(162, List.of())))
                .isEqualTo("exited with code 162 (as a process killed by signal 34 does)");
        assertThat(JobAttempt.failure(new dev.hangar.core.runtime.ExitStatus(0, List.of("memory limit hit"))))
                .isEqualTo("exited with code 0, but part of it was stopped at a limit; memory limit hit");
    }

    @Test
    void anExitZeroFailsWhenALimitStoppedPartOfTheJobButNotWhenMemoryWasOnlyReclaimedAtIt() {
        var reclaimed = new dev.hangar.core.runtime.ExitStatus(0, List.of(
                dev.hangar.core.runtime.ExitStatus.memoryReclaimed(64, 3)));
        assertThat(JobAttempt.ended(reclaimed, false).state()).as("page cache reclaimed harms no job")
                .isEqualTo(JobState.SUCCEEDED);
        var killed = new dev.hangar.core.runtime.ExitStatus(0, List.of("memory limit 64 MiB reached (OOM kill)"));
        assertThat(JobAttempt.ended(killed, true)).isEqualTo(new dev.hangar.core.queue.Outcome(JobState.FAILED, 0,
                "exited with code 0, but part of it was stopped at a limit; memory limit 64 MiB reached (OOM kill)",
                true, true));
    }

    /**
     * The rules counted on a warm sandbox that another job took first; deciding again, they find one
     * made meanwhile, and the job starts warm: the pool counts no miss, as no job started cold.
     */
    @Test
    void aJobThatFindsThePoolEmptyAndThenTakesASandboxMadeMeanwhileIsNoMiss() {
        PoolStatus status = runWhereTheRulesCountedOnAWarmSandboxGoneAtTheFirstTake(true);
        assertThat(status.served()).isEqualTo(1);
        assertThat(status.missed()).as("a job that started warm").isZero(); // it was 1
    }

    /** As above, but no sandbox is made meanwhile: the job starts cold, one miss (it was two, one per take). */
    @Test
    void aJobThatFindsThePoolEmptyTwiceAndStartsColdIsOneMiss() {
        PoolStatus status = runWhereTheRulesCountedOnAWarmSandboxGoneAtTheFirstTake(false);
        assertThat(status.served()).isZero();
        assertThat(status.missed()).isEqualTo(1);
    }

    /**
     * Runs a job the rules choose a pooled runtime for, counting on a ready sandbox, while the pool has
     * none: its one sandbox is still being made and is made as the rules decide again
     * ({@code madeMeanwhile}), or it makes none (min 0). Returns the pool's counts once the job has
     * succeeded, warm if a sandbox was made, cold if not.
     */
    private PoolStatus runWhereTheRulesCountedOnAWarmSandboxGoneAtTheFirstTake(boolean madeMeanwhile) {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            if (madeMeanwhile) {
                runtime.holdCreates();
            }
            var pool = new PoolSpec("p", FakePrestartingRuntime.NAME, null, 1.0, 256L, madeMeanwhile ? 1 : 0, 1, 300);
            var decisions = new java.util.concurrent.atomic.AtomicInteger();
            JobAttempt attempt = attempt(timers, List.of(pool), spec -> {
                if (decisions.incrementAndGet() == 2 && madeMeanwhile) {
                    runtime.releaseCreates();
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ready(pool) == 1);
                }
                return new Selection(FakePrestartingRuntime.NAME, "the test's", List.of(),
                        List.of(new Candidate(FakePrestartingRuntime.NAME, "fake", null, 1)));
            });
            String id = store.enqueue(JobSpec.builder().command("echo").runtime(FakePrestartingRuntime.NAME)
                    .resources(new Resources(1.0, 256L, null, null, null, null)).build()).job().id();
            attempt.run(leased());

            assertThat(decisions).hasValue(2);
            Job done = store.get(id).orElseThrow();
            assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(done.timings().path()).isEqualTo(madeMeanwhile ? StartPath.WARM : StartPath.COLD);
            return pools.pools().getFirst();
        } finally {
            runtime.releaseCreates();
            timers.shutdownNow();
        }
    }

    @Test
    void aJobWhoseImageIsMadeOnItsFirstUseSaysSoInItsOutputBeforeItRuns() {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            JobAttempt attempt = attempt(timers, image -> image.equals("debian"));
            String first = store.enqueue(JobSpec.builder().command("echo", "hi").image("debian")
                    .runtime(FakePrestartingRuntime.NAME).build()).job().id();
            String made = store.enqueue(JobSpec.builder().command("echo", "hi").image("busybox")
                    .runtime(FakePrestartingRuntime.NAME).build()).job().id();

            attempt.run(leased());
            attempt.run(leased());

            assertThat(output(first)).isEqualTo("[hangar: the image debian is not made yet on node node: making it before"
                    + " the job starts (a built-in image's first use takes a while, about a minute for debian)]\nhi\n");
            assertThat(output(made)).isEqualTo("hi\n");
            assertThat(store.get(first).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
        } finally {
            timers.shutdownNow();
        }
    }

    @Test
    void anImageRecordThatCannotBeReadForTheNoticeDoesNotFailTheJob() {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            JobAttempt attempt = attempt(timers, image -> {
                throw new java.io.UncheckedIOException(new java.io.IOException("image record damaged"));
            });
            String id = store.enqueue(JobSpec.builder().command("echo", "hi").image("debian")
                    .runtime(FakePrestartingRuntime.NAME).build()).job().id();

            attempt.run(leased());

            assertThat(store.get(id).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(output(id)).isEqualTo("hi\n");
        } finally {
            timers.shutdownNow();
        }
    }

    /** The job's output, both streams in the order stored. */
    private String output(String id) {
        var out = new StringBuilder();
        store.readLog(id, 0, 100).forEach(chunk -> out.append(new String(chunk.data(), StandardCharsets.UTF_8)));
        return out.toString();
    }

    private int ready(PoolSpec pool) {
        return pools.pools().stream().filter(s -> s.spec().name().equals(pool.name())).mapToInt(PoolStatus::ready).sum();
    }

    /** An attempt on a node that allows no mounts, whose rules choose the fake runtime for every job. */
    private JobAttempt attempt(ScheduledExecutorService timers) {
        return attempt(timers, List.of(), spec -> new Selection(FakePrestartingRuntime.NAME, "the test's", List.of(), List.of()));
    }

    /** An attempt on a node that allows no mounts, whose rules choose the fake runtime, and that makes these images first. */
    private JobAttempt attempt(ScheduledExecutorService timers, java.util.function.Predicate<String> madeOnFirstUse) {
        return attempt(timers, List.of(), spec -> new Selection(FakePrestartingRuntime.NAME, "the test's", List.of(), List.of()),
                new ImageVersions() {
                    @Override
                    public Optional<Instant> madeAt(String image) {
                        return Optional.empty();
                    }

                    @Override
                    public boolean madeOnFirstUse(String image) {
                        return madeOnFirstUse.test(image);
                    }
                });
    }

    /** An attempt on a node that allows no mounts, with these pools and rules. */
    private JobAttempt attempt(ScheduledExecutorService timers, List<PoolSpec> poolSpecs,
            java.util.function.Function<JobSpec, Selection> selector) {
        return attempt(timers, poolSpecs, selector, ImageVersions.NONE);
    }

    private JobAttempt attempt(ScheduledExecutorService timers, List<PoolSpec> poolSpecs,
            java.util.function.Function<JobSpec, Selection> selector, ImageVersions images) {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        var config = new AgentConfig("node", 8, 8 * 1024, List.of(), 8, LEASE, Duration.ofMillis(100), false,
                MountPolicy.none(), Set.of(), PoolConfig.of(poolSpecs, 0));
        pools = new PoolManager(config.pools(), List.of(runtime), config.memoryMb(), Clock.systemUTC()).start();
        return new JobAttempt(store, config, selector,
                name -> Optional.of(runtime), new RuntimeHealth(Duration.ofSeconds(5), System::nanoTime), timers, pools,
                new JobAttempt.Mounts(MountPins.atDefaultRoot(), () -> {}), images, Clock.systemUTC());
    }

    private RunningJob leased() {
        Lease lease = store.lease(new LeaseRequest("node", LEASE, 8, 8 * 1024, 0)).orElseThrow();
        return new RunningJob(lease, List.of(), System.nanoTime());
    }
}
