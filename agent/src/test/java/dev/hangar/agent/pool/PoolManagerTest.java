package dev.hangar.agent.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hangar.agent.FakeClock;
import dev.hangar.agent.FakePrestartingRuntime;
import dev.hangar.agent.FakePrestartingRuntime.FakeSandbox;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.Resources;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.Snapshotting;
import dev.hangar.core.runtime.Snapshotting.Snapshot;
import dev.hangar.runtime.support.LauncherScript;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Warm pools over a test double runtime: fill, take, replace, expire, budget, validation. */
class PoolManagerTest {
    private static final String RUNTIME = FakePrestartingRuntime.NAME;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final FakePrestartingRuntime runtime = new FakePrestartingRuntime();
    private final FakeClock clock = new FakeClock(Instant.parse("2030-01-01T00:00:00Z"));
    private PoolManager manager;

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    private PoolManager start(long budgetMb, PoolSpec... pools) {
        // why: the keeper checks every hour here; tests run its care with upkeep() when they mean it
        manager = new PoolManager(PoolConfig.of(List.of(pools), budgetMb).withCheckEvery(Duration.ofHours(1)),
                List.of(runtime), 64 * 1024, clock).start();
        return manager;
    }

    private static PoolSpec pool(String name, int min, int max) {
        return new PoolSpec(name, RUNTIME, null, 1.0, 256L, min, max, 60);
    }

    private static JobSpec job() {
        return JobSpec.builder().command("echo", "hi").resources(new Resources(1.0, 256L, null, null, null, null)).build();
    }

    private PoolStatus status(String name) {
        return manager.pools().stream().filter(p -> p.spec().name().equals(name)).findFirst().orElseThrow();
    }

    private void awaitReady(String name, int ready) {
        await().atMost(WAIT).until(() -> status(name).ready() == ready && status(name).starting() == 0);
    }

    @Test
    void aJobWithALongLineOrAVariableTheShellKeepsStartsCold() {
        start(0, pool("p", 1, 1));
        awaitReady("p", 1);
        JobSpec longEnv = job().toBuilder().env("CONFIG", "x".repeat(LauncherScript.MOST_LINE_BYTES)).build();
        JobSpec shellsOwn = job().toBuilder().env("UID", "1000").build();

        assertThat(manager.take(RUNTIME, longEnv)).as("read a byte a read by the launcher").isEmpty();
        assertThat(manager.take(RUNTIME, shellsOwn)).as("read-only in bash").isEmpty();
        assertThat(manager.take(RUNTIME, job().toBuilder().env("LINES", "\n".repeat(700)).build()))
                .as("700 line breaks: 700 characters, a line of 4,900 bytes").isEmpty();
        assertThat(manager.take(RUNTIME, job().toBuilder().env("CONFIG", "x".repeat(1000)).build())).isPresent();
    }

    @Test
    void aPoolFillsToMinAndATakenSandboxWasMadeBeforeTheTake() {
        start(0, pool("p", 3, 5));
        awaitReady("p", 3);
        Instant afterFill = clock.instant().plusMillis(1);

        WarmSandbox taken = manager.take(RUNTIME, job()).orElseThrow();

        assertThat(taken.sandbox().createdAt()).isBefore(Instant.now());
        assertThat(taken.readyAt()).isBefore(afterFill);
        assertThat(taken.sandbox().launcherReady()).isTrue();
        awaitReady("p", 3); // refilled in the background after the take
        PoolStatus status = status("p");
        assertThat(status.served()).isEqualTo(1);
        assertThat(status.inUse()).isEqualTo(1);
        taken.close();
        assertThat(status("p").inUse()).isZero();
        assertThat(((FakeSandbox) taken.sandbox()).destroyed()).as("destroyed after its one job").isTrue();
    }

    @Test
    void aSandboxIsHandedOutOnce() {
        start(0, pool("p", 4, 4));
        var ids = new ArrayList<String>();
        for (int i = 0; i < 40; i++) {
            awaitReady("p", 4);
            try (WarmSandbox taken = manager.take(RUNTIME, job()).orElseThrow()) {
                ids.add(taken.sandbox().id());
            }
        }
        assertThat(new HashSet<>(ids)).hasSize(40);
        assertThat(status("p").served()).isEqualTo(40);
    }

    @Test
    void aSandboxWhoseLauncherWasKilledIsReplaced() {
        start(0, pool("p", 2, 2));
        awaitReady("p", 2);
        List<FakeSandbox> first = runtime.sandboxes();
        clock.advance(Duration.ofMinutes(1)); // a settled sandbox: it died of something else than how it was made
        first.getFirst().killLauncher();

        manager.upkeep();

        awaitReady("p", 2);
        assertThat(status("p").replaced()).isEqualTo(1);
        assertThat(status("p").failed()).isZero();
        assertThat(runtime.sandboxes()).hasSize(3);
        await().atMost(WAIT).until(() -> first.getFirst().destroyed());
    }

    @Test
    void sandboxesThatDieAsSoonAsTheyAreMadeBackThePoolOffAndSaySo() {
        start(0, pool("p", 2, 2));
        awaitReady("p", 2);
        runtime.sandboxes().forEach(FakeSandbox::killLauncher); // as a host's OOM killer would, right after the make

        manager.upkeep();

        PoolStatus status = status("p");
        assertThat(status.replaced()).isEqualTo(2);
        assertThat(status.failed()).isEqualTo(1);
        assertThat(status.lastError()).contains("died within 10 s of being made");
        assertThat(status.ready() + status.starting()).as("not made again at once").isZero();
        clock.advance(Duration.ofSeconds(2));
        manager.upkeep();
        awaitReady("p", 2);
    }

    @Test
    void sandboxesThatAJobsTakeFindsDeadYoungBackThePoolOffAsTheUpkeepWould() {
        start(0, pool("p", 2, 2));
        awaitReady("p", 2);
        runtime.sandboxes().forEach(FakeSandbox::killLauncher);

        assertThat(manager.take(RUNTIME, job())).isEmpty(); // a busy node: the take meets them first

        PoolStatus status = status("p");
        assertThat(status.replaced()).isEqualTo(2);
        assertThat(status.failed()).as("one round of deaths, one backoff").isEqualTo(2);
        assertThat(status.lastError()).contains("died within 10 s of being made");
        assertThat(status.ready() + status.starting()).as("not made again at once").isZero();
        clock.advance(Duration.ofSeconds(1)); // the first backoff, not a longer one for the second death
        manager.upkeep();
        awaitReady("p", 2);
    }

    @Test
    void makesThatFailTogetherBackOffOnce() {
        runtime.failCreates(true);
        manager = new PoolManager(new PoolConfig(List.of(pool("p", 4, 4)), 0, Duration.ofHours(1), 4),
                List.of(runtime), 64 * 1024, clock).start();
        // those that had not asked the runtime yet when the first failed ask it no more (see the next test)
        await().atMost(WAIT).until(() -> status("p").failed() >= 1 && status("p").starting() == 0);
        runtime.failCreates(false);

        clock.advance(Duration.ofSeconds(1)); // one failed round: the first backoff, not the fourth
        manager.upkeep();

        awaitReady("p", 4);
    }

    @Test
    void makesWaitingForAMakersTurnWhenOneFailsAskTheFailingRuntimeNoMoreAndGiveTheirTurnsBack() {
        runtime.holdCreates();
        runtime.failCreates(true);
        // one maker: one sandbox is being made (held), the other three wait their turn
        manager = new PoolManager(new PoolConfig(List.of(pool("p", 4, 4)), 0, Duration.ofHours(1), 1),
                List.of(runtime), 64 * 1024, clock).start();
        await().atMost(WAIT).until(() -> status("p").starting() == 4);

        runtime.releaseCreates();
        await().atMost(WAIT).until(() -> status("p").starting() == 0);
        assertThat(runtime.creates()).as("asked of the runtime while it failed: the first alone").isEqualTo(1);
        assertThat(status("p").failed()).isEqualTo(1);
        assertThat(manager.budget().heldMb()).as("what the three held, given back").isZero();

        runtime.failCreates(false);
        clock.advance(Duration.ofSeconds(1)); // the backoff over
        manager.upkeep();
        awaitReady("p", 4);
    }

    @Test
    void aTakeSkipsADeadSandboxWithoutHandingItOut() {
        start(0, pool("p", 2, 3));
        awaitReady("p", 2);
        clock.advance(Duration.ofSeconds(30)); // they lived a while: no backoff, they are made again at once
        runtime.sandboxes().forEach(FakeSandbox::killLauncher);

        assertThat(manager.take(RUNTIME, job())).isEmpty();
        assertThat(status("p").missed()).as("an empty take alone: the job may yet start warm").isZero();
        manager.missed(RUNTIME, job());

        PoolStatus status = status("p");
        assertThat(status.replaced()).isEqualTo(2);
        assertThat(status.missed()).isEqualTo(1);
        awaitReady("p", 3); // the miss raised the target by one
    }

    @Test
    void poolsHoldOnlyWhatJobsLeaveAndGiveItBackWhenJobsNeedIt() {
        var leftByJobs = new java.util.concurrent.atomic.AtomicLong(768);
        manager = new PoolManager(PoolConfig.of(List.of(pool("p", 4, 4)), 0).withCheckEvery(Duration.ofHours(1)),
                List.of(runtime), 64 * 1024, leftByJobs::get, clock).start();
        awaitReady("p", 3);
        assertThat(status("p").limitedBy()).contains("the node's memory that jobs leave: 768 MB");

        leftByJobs.set(300); // jobs reserved more: the pools keep what fits, the idlest sandboxes go
        assertThat(manager.yieldToJobs()).isEqualTo(2);
        assertThat(manager.budget().heldMb()).isEqualTo(256);
        await().atMost(WAIT).until(() -> runtime.alive() == 1);

        leftByJobs.set(64 * 1024); // the jobs ended: refilled
        manager.upkeep();
        awaitReady("p", 4);
        assertThat(manager.yieldToJobs()).isZero();
    }

    @Test
    void jobsThatNeedMemoryAtOnceTakeFromThePoolsOnlyWhatTheyNeedTogether() throws Exception {
        var leftByJobs = new java.util.concurrent.atomic.AtomicLong(64 * 1024);
        manager = new PoolManager(PoolConfig.of(List.of(pool("p", 8, 8)), 0).withCheckEvery(Duration.ofHours(1)),
                List.of(runtime), 64 * 1024, leftByJobs::get, clock).start();
        awaitReady("p", 8);
        for (int round = 0; round < 20 && status("p").ready() > 1; round++) {
            leftByJobs.set(manager.budget().heldMb() - 1); // a job reserved what one sandbox gives back, and a little
            var go = new CountDownLatch(1);
            var evicted = new AtomicInteger();
            try (var jobs = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                for (int i = 0; i < 4; i++) { // four jobs starting at once, each yielding as it starts
                    jobs.execute(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        evicted.addAndGet(manager.yieldToJobs());
                    });
                }
                go.countDown();
            }
            assertThat(evicted).as("round %d: one sandbox frees what they need", round).hasValue(1);
        }
    }

    @Test
    void sandboxesStartingWhenAJobNeededTheirMemoryGiveItBackOnceReady() {
        var leftByJobs = new java.util.concurrent.atomic.AtomicLong(64 * 1024);
        runtime.holdCreates();
        manager = new PoolManager(PoolConfig.of(List.of(pool("p", 2, 2)), 0).withCheckEvery(Duration.ofHours(1)),
                List.of(runtime), 64 * 1024, leftByJobs::get, clock).start();
        await().atMost(WAIT).until(() -> status("p").starting() == 2);

        leftByJobs.set(300); // a job reserved the memory: nothing is ready to give back yet
        assertThat(manager.yieldToJobs()).isZero();
        runtime.releaseCreates();
        await().atMost(WAIT).until(() -> status("p").ready() + status("p").starting() == 2 && status("p").starting() == 0);

        manager.upkeep(); // they used to stay, the pools holding 512 MB of the job's 300
        assertThat(manager.budget().heldMb()).isEqualTo(256);
        assertThat(status("p").ready()).isEqualTo(1);
    }

    @Test
    void poolsNeverHoldMoreThanTheMemoryBudgetAndSaySoBelowMin() {
        start(1024, pool("a", 3, 3), pool("b", 3, 3));
        await().atMost(WAIT).until(() -> manager.pools().stream().mapToInt(p -> p.ready() + p.starting()).sum() == 4
                && manager.pools().stream().allMatch(p -> p.starting() == 0));

        assertThat(manager.budget()).isEqualTo(new PoolManager.Budget(1024, 1024));
        assertThat(manager.pools().stream().mapToLong(PoolStatus::memoryHeldMb).sum()).isEqualTo(1024);
        assertThat(manager.pools()).filteredOn(p -> p.ready() < 3)
                .isNotEmpty()
                .allSatisfy(p -> assertThat(p.limitedBy()).contains("memory budget"));
        assertThat(runtime.alive()).isEqualTo(4);

        manager.take(RUNTIME, job()).orElseThrow().close(); // frees 256 MB: refilled, still within budget
        manager.upkeep();
        await().atMost(WAIT).until(() -> manager.pools().stream().mapToInt(PoolStatus::ready).sum() == 4);
        assertThat(manager.budget().heldMb()).isEqualTo(1024);
    }

    @Test
    void aPoolOfSandboxesLargerThanTheWholeBudgetIsRefusedForNoneCouldEverBeMade() {
        start(1024);
        var refused = org.assertj.core.api.Assertions.catchThrowableOfType(dev.hangar.core.job.InvalidSpecException.class,
                () -> manager.put(new PoolSpec("big", RUNTIME, null, 1.0, 2048L, 1, 1, 60)));

        // it used to be made, and to say "memory budget" below min for good
        assertThat(refused.errors()).singleElement().satisfies(error -> {
            assertThat(error.field()).isEqualTo("memoryMb");
            assertThat(error.reason()).contains("at most 1024").contains("--pool-memory-mb");
        });
        assertThat(manager.pools()).isEmpty();
        assertThat(manager.put(new PoolSpec("fits", RUNTIME, null, 1.0, 1024L, 0, 1, 60)).status().spec().name()).isEqualTo("fits");
    }

    @Test
    void aPutSaysWhetherItCreatedThePool() {
        start(1024);

        assertThat(manager.put(pool("p", 1, 1)).created()).isTrue();
        assertThat(manager.put(pool("p", 1, 2)).created()).isFalse();
        // another runtime replaces the pool under the same name: a change of it, not a new one
        assertThat(manager.put(new PoolSpec("p", RUNTIME, null, 1.0, 512L, 1, 2, 60)).created()).isFalse();
    }

    @Test
    void aPutOrRemoveAfterTheNodeBeganToStopIsRefusedAndHoldsNoMemory() {
        start(1024, pool("p", 1, 1));
        awaitReady("p", 1);
        manager.close();

        // it used to fill the new pool on stopped workers: a RejectedExecutionException, its memory held for good
        assertThatThrownBy(() -> manager.put(pool("q", 1, 1))).isInstanceOf(PoolsView.Stopping.class)
                .hasMessageContaining("stopping");
        assertThatThrownBy(() -> manager.remove("p")).isInstanceOf(PoolsView.Stopping.class);
        assertThat(manager.pools()).extracting(p -> p.spec().name()).containsExactly("p");
        assertThat(manager.budget().heldMb()).isZero();
    }

    @Test
    void jobsThatFindThePoolEmptyGrowItTowardsMaxAndIdleSandboxesBeyondMinExpire() {
        start(0, pool("p", 1, 3));
        awaitReady("p", 1);
        runtime.holdCreates();
        WarmSandbox held = manager.take(RUNTIME, job()).orElseThrow();
        for (int i = 0; i < 5; i++) {
            assertThat(manager.take(RUNTIME, job())).isEmpty();
            manager.missed(RUNTIME, job()); // each miss raises the target, up to max
        }
        assertThat(status("p").missed()).isEqualTo(5);
        assertThat(status("p").target()).isEqualTo(3);
        runtime.releaseCreates();
        awaitReady("p", 3);

        clock.advance(Duration.ofSeconds(61));
        manager.upkeep();

        awaitReady("p", 1);
        assertThat(status("p").expired()).isEqualTo(2);
        assertThat(status("p").target()).isEqualTo(1);
        held.close();
    }

    @Test
    void aDrainedNodesPoolsHoldNothingMakeNothingAndFillAgainOnceResumed() {
        start(0, pool("p", 2, 4));
        awaitReady("p", 2);
        List<FakeSandbox> before = runtime.sandboxes();

        manager.pause(true);
        manager.put(pool("q", 1, 1)); // put while drained: made empty
        manager.upkeep();

        assertThat(status("p").ready()).isZero();
        assertThat(status("p").limitedBy()).isEqualTo(WarmPool.PAUSED);
        assertThat(status("q").ready() + status("q").starting()).isZero();
        assertThat(status("q").limitedBy()).isEqualTo(WarmPool.PAUSED);
        assertThat(manager.take(RUNTIME, job())).isEmpty();
        manager.missed(RUNTIME, job()); // a job leased just before the drain starts cold: the pool does not grow for it
        await().atMost(WAIT).until(() -> before.stream().allMatch(FakeSandbox::destroyed));
        assertThat(manager.budget().heldMb()).isZero();
        assertThat(runtime.sandboxes()).as("none made while drained").hasSize(2);

        manager.pause(false);

        awaitReady("p", 2);
        awaitReady("q", 1);
        assertThat(status("p").limitedBy()).isNull();
        assertThat(status("p").target()).as("its min, not grown by the miss while drained").isEqualTo(2);
        assertThat(manager.take(RUNTIME, job())).isPresent();
    }

    @Test
    void sandboxesStartingWhenTheNodeIsDrainedAreNotKept() {
        runtime.holdCreates();
        start(0, pool("p", 2, 2));
        await().atMost(WAIT).until(() -> status("p").starting() == 2);

        manager.pause(true);
        runtime.releaseCreates();

        await().atMost(WAIT).until(() -> manager.budget().heldMb() == 0 && runtime.alive() == 0);
        assertThat(status("p").ready() + status("p").starting()).isZero();
    }

    @Test
    void aPoolRemovedWhileItsSandboxesWaitForAMakerMakesNoMore() {
        runtime.holdCreates();
        // one maker: one sandbox is being made (held), the other two wait their turn
        manager = new PoolManager(new PoolConfig(List.of(pool("p", 3, 3)), 0, Duration.ofHours(1), 1), List.of(runtime),
                64 * 1024, clock).start();
        await().atMost(WAIT).until(() -> status("p").starting() == 3);

        assertThat(manager.remove("p")).isPresent();
        runtime.releaseCreates();

        await().atMost(WAIT).until(() -> manager.budget().heldMb() == 0 && runtime.alive() == 0);
        assertThat(runtime.sandboxes()).as("made after the pool was gone").hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void aPoolThatNamesTheDefaultImageServesAJobThatNamesNoneOnARuntimeThatGivesItThatImage() {
        start(0, new PoolSpec("p", RUNTIME, "busybox", 1.0, 256L, 1, 1, 60));
        awaitReady("p", 1);

        assertThat(manager.take(RUNTIME, job())).as("busybox either way").isPresent();
    }

    @Test
    void onlyJobsThatFitThePoolTakeFromIt() {
        start(0, pool("p", 1, 1));
        awaitReady("p", 1);
        JobSpec fits = job();
        assertThat(manager.take("process", fits)).as("another runtime").isEmpty();
        assertThat(manager.take(RUNTIME, fits.toBuilder().image("debian").build())).as("another image").isEmpty();
        assertThat(manager.take(RUNTIME, fits.toBuilder().resources(new Resources(1.0, 512L, null, null, null, null)).build()))
                .as("more memory").isEmpty();
        assertThat(manager.take(RUNTIME, fits.toBuilder().resources(new Resources(2.0, 256L, null, null, null, null)).build()))
                .as("more cpus").isEmpty();
        // a sandbox keeps the limits it was made with: a job that asked for less would run under more
        assertThat(manager.take(RUNTIME, fits.toBuilder().resources(new Resources(1.0, 128L, null, null, null, null)).build()))
                .as("less memory").isEmpty();
        assertThat(manager.take(RUNTIME, fits.toBuilder().resources(new Resources(0.5, 256L, null, null, null, null)).build()))
                .as("fewer cpus").isEmpty();
        assertThat(manager.take(RUNTIME, fits.toBuilder().resources(new Resources(1.0, 256L, 64, null, null, null)).build()))
                .as("fewer pids").isEmpty();
        assertThat(manager.take(RUNTIME, fits.toBuilder().resources(new Resources(1.0, 256L, null, 64L, null, null)).build()))
                .as("less disk").isEmpty();
        assertThat(status("p").served()).isZero();
        assertThat(manager.readyFor(fits).ready(RUNTIME)).isEqualTo(1);
        assertThat(manager.take(RUNTIME, fits)).isPresent();
    }

    @Test
    void aChangedPoolIsResizedOrRemadeAndARemovedOneDestroysItsSandboxes() {
        start(0, pool("p", 2, 2));
        awaitReady("p", 2);

        manager.put(pool("p", 3, 4));
        awaitReady("p", 3);
        assertThat(runtime.sandboxes()).hasSize(3); // sizes changed: the two kept

        manager.put(new PoolSpec("p", RUNTIME, "busybox", 1.0, 256L, 1, 1, 60));
        awaitReady("p", 1);
        assertThat(runtime.sandboxes().stream().filter(s -> "busybox".equals(s.spec().image())).count()).isEqualTo(1);

        Optional<PoolStatus> removed = manager.remove("p");
        assertThat(removed).isPresent();
        assertThat(manager.pools()).isEmpty();
        await().atMost(WAIT).until(() -> runtime.alive() == 0);
        assertThat(manager.budget().heldMb()).isZero();
        assertThat(manager.remove("p")).isEmpty();
    }

    @Test
    void sandboxesBeingMadeWhenTheMaxIsLoweredAreNotKeptPastIt() {
        runtime.holdCreates();
        start(0, pool("p", 3, 3));
        await().atMost(WAIT).until(() -> status("p").starting() == 3);

        manager.put(pool("p", 1, 1));
        runtime.releaseCreates();
        await().atMost(WAIT).until(() -> status("p").starting() == 0);

        assertThat(status("p").ready()).isEqualTo(1);
        await().atMost(WAIT).until(() -> runtime.alive() == 1);
        assertThat(manager.budget().heldMb()).as("the memory of those not kept is given back").isEqualTo(256);
    }

    @Test
    void aRuntimeThatCannotMakeSandboxesIsRecordedAndRetriedLater() {
        runtime.failCreates(true);
        start(0, pool("p", 1, 1));
        await().atMost(WAIT).until(() -> status("p").failed() >= 1 && status("p").starting() == 0);
        assertThat(status("p").lastError()).contains("told to fail");
        runtime.failCreates(false);

        manager.upkeep(); // still backing off
        assertThat(status("p").ready() + status("p").starting()).isZero();
        clock.advance(Duration.ofSeconds(2));
        manager.upkeep();
        awaitReady("p", 1);
    }

    @Test
    void aMakeOfThePoolAsItWasThatFailsAfterAChangeLeavesTheChangedPoolUntouched() {
        runtime.holdCreates();
        runtime.failCreatesOf("broken");
        start(0, new PoolSpec("p", RUNTIME, "broken", 1.0, 256L, 1, 1, 60));
        await().atMost(WAIT).until(() -> status("p").starting() == 1);

        manager.put(new PoolSpec("p", RUNTIME, "busybox", 1.0, 256L, 1, 1, 60)); // the image mended
        runtime.releaseCreates(); // the make of the broken image fails only now
        await().atMost(WAIT).until(() -> status("p").starting() == 0);

        manager.upkeep(); // the keeper's next round: no backoff holds it back
        awaitReady("p", 1);
        assertThat(status("p").lastError()).as("the old image's error").isNull();
        assertThat(status("p").failed()).isZero();
        manager.put(new PoolSpec("p", RUNTIME, "busybox", 1.0, 256L, 2, 2, 60));
        awaitReady("p", 2); // not held back by a backoff for the old image's failure
    }

    private static PoolSpec snapshotPool(String name, int size) {
        return new PoolSpec(name, RUNTIME, null, 1.0, 256L, size, size, 60, true, null);
    }

    @Test
    void aSnapshotTemplateThatFailsFailsTheMakesThatWaitedForItAtOnceRatherThanBeMadeAgainByEach() {
        var templates = new AtomicInteger();
        var release = new CountDownLatch(1);
        runtime.snapshotWith(new Snapshotting() {
            @Override
            public Snapshot snapshot(Sandbox sandbox) throws SandboxException {
                templates.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                sandbox.destroy();
                throw new SandboxException("the template's checkpoint failed (test)");
            }

            @Override
            public Sandbox restore(Snapshot snapshot, SandboxSpec spec) throws SandboxException {
                throw new SandboxException("nothing to restore (test)");
            }
        });
        // three makers: one makes the template, the two others wait for it
        manager = new PoolManager(new PoolConfig(List.of(snapshotPool("p", 3)), 0, Duration.ofHours(1), 3),
                List.of(runtime), 64 * 1024, clock).start();
        await().atMost(WAIT).until(() -> templates.get() == 1 && status("p").starting() == 3);

        release.countDown();
        await().atMost(WAIT).until(() -> status("p").starting() == 0);
        assertThat(templates.get()).as("templates tried for the three makes").isEqualTo(1);
        assertThat(status("p").lastError())
                .isEqualTo("its snapshot template could not be made: the template's checkpoint failed (test)");
    }

    /** What a test's snapshots do on restore: fail, say, or restore through the runtime's own ({@code working}). */
    private interface RestoreStep {
        Sandbox restore(Snapshotting working, Snapshot snapshot, SandboxSpec spec) throws SandboxException;
    }

    /** The runtime's snapshots as they are, but restoring through {@code step}. */
    private void restoringThrough(RestoreStep step) {
        Snapshotting working = runtime.snapshots().orElseThrow();
        runtime.snapshotWith(new Snapshotting() {
            @Override
            public Snapshot snapshot(Sandbox sandbox) throws SandboxException {
                return working.snapshot(sandbox);
            }

            @Override
            public Sandbox restore(Snapshot snapshot, SandboxSpec spec) throws SandboxException {
                return step.restore(working, snapshot, spec);
            }

            @Override
            public void delete(Snapshot snapshot) throws SandboxException {
                working.delete(snapshot);
            }
        });
    }

    @Test
    void aTemplateThatASandboxCouldNotBeRestoredFromIsMadeAgainForTheNext() {
        var made = new AtomicInteger();
        var deleted = new AtomicInteger();
        snapshotsCounted(made, deleted);
        restoringThrough((working, snapshot, spec) -> {
            if (snapshot.id().equals("template-1")) {
                throw new SandboxException("its checkpoint is damaged (test)");
            }
            return working.restore(snapshot, spec);
        });
        start(0, snapshotPool("p", 1));
        await().atMost(WAIT).until(() -> status("p").failed() == 1 && status("p").starting() == 0);
        assertThat(status("p").lastError()).isEqualTo("restoring its snapshot template failed (tried again for the"
                + " next sandbox, and made again should that fail too): its checkpoint is damaged (test)");

        clock.advance(Duration.ofSeconds(2)); // past the backoff
        manager.upkeep();
        await().atMost(WAIT).until(() -> status("p").failed() == 2 && status("p").starting() == 0);
        assertThat(status("p").lastError()).isEqualTo("restoring its snapshot template failed again (it is made again"
                + " for the next sandbox): its checkpoint is damaged (test)");
        assertThat(made.get()).as("templates made so far").isEqualTo(1);

        clock.advance(Duration.ofSeconds(3)); // past the second backoff
        manager.upkeep();

        awaitReady("p", 1);
        assertThat(made.get()).as("templates made").isEqualTo(2);
        assertThat(deleted.get()).as("the damaged one").isEqualTo(1);
    }

    @Test
    void aTemplateThatOneRestoreFailedFromButTheNextWorksIsKept() {
        var made = new AtomicInteger();
        var deleted = new AtomicInteger();
        snapshotsCounted(made, deleted);
        var restores = new AtomicInteger();
        restoringThrough((working, snapshot, spec) -> {
            if (restores.incrementAndGet() == 1) {
                throw new SandboxException("its launcher did not start within 30 s (test: a host under load)");
            }
            return working.restore(snapshot, spec);
        });
        start(0, snapshotPool("p", 1));
        await().atMost(WAIT).until(() -> status("p").failed() == 1 && status("p").starting() == 0);

        clock.advance(Duration.ofSeconds(2)); // past the backoff
        manager.upkeep();

        awaitReady("p", 1);
        // it was deleted and made again, booting and preparing anew, for a failure that was the host's
        assertThat(made.get()).as("templates made").isEqualTo(1);
        assertThat(deleted.get()).isZero();
    }

    @Test
    void restoresThatFailTogetherCountAsOneFailureOfTheTemplate() {
        var made = new AtomicInteger();
        var deleted = new AtomicInteger();
        snapshotsCounted(made, deleted);
        var restores = new AtomicInteger();
        var bothIn = new CountDownLatch(2);
        restoringThrough((working, snapshot, spec) -> {
            if (restores.incrementAndGet() <= 2) { // two makers restoring at once on a host under load
                bothIn.countDown();
                try {
                    bothIn.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new SandboxException("its launcher did not start within 30 s (test: a host under load)");
            }
            return working.restore(snapshot, spec);
        });
        manager = new PoolManager(new PoolConfig(List.of(snapshotPool("p", 2)), 0, Duration.ofHours(1), 2),
                List.of(runtime), 64 * 1024, clock).start();
        await().atMost(WAIT).until(() -> status("p").failed() == 2 && status("p").starting() == 0);

        clock.advance(Duration.ofSeconds(2)); // past the backoff
        manager.upkeep();

        awaitReady("p", 2);
        // the second failure, of a restore begun before the first failed, counted as a second in a row
        assertThat(made.get()).as("templates made").isEqualTo(1);
        assertThat(deleted.get()).isZero();
    }

    @Test
    void aTemplateBeingMadeHoldsOneMakersTurnAndOtherPoolsAreMadeMeanwhile() {
        var release = new CountDownLatch(1);
        var made = new AtomicInteger();
        snapshotsCounted(made, new AtomicInteger());
        Snapshotting working = runtime.snapshots().orElseThrow();
        runtime.snapshotWith(new Snapshotting() {
            @Override
            public Snapshot snapshot(Sandbox sandbox) throws SandboxException {
                try {
                    release.await(); // a long prepare step
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return working.snapshot(sandbox);
            }

            @Override
            public Sandbox restore(Snapshot snapshot, SandboxSpec spec) throws SandboxException {
                return working.restore(snapshot, spec);
            }
        });
        // two makers: the snapshot pool's two makes take one turn between them (for its template), not both
        manager = new PoolManager(new PoolConfig(List.of(snapshotPool("p", 2), pool("b", 1, 1)), 0, Duration.ofHours(1), 2),
                List.of(runtime), 64 * 1024, clock).start();
        try {
            awaitReady("b", 1);
        } finally {
            release.countDown();
        }
        awaitReady("p", 2);
        assertThat(made.get()).as("one template for both").isEqualTo(1);
    }

    @Test
    void aPoolBelowItsRuntimesMemoryFloorIsRefusedAsNoJobCouldTakeFromIt() {
        runtime.memoryFloorMb(32);
        start(0);
        assertThatThrownBy(() -> manager.put(new PoolSpec("small", RUNTIME, null, 1.0, 16L, 1, 1, 60)))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors()).containsExactly(
                        new FieldError("memoryMb", "must be at least 32 (the least runtime 'fake' runs a job in on this"
                                + " node), got 16")));
        assertThat(manager.pools()).isEmpty();
        manager.put(new PoolSpec("floor", RUNTIME, null, 1.0, 32L, 1, 1, 60));
        awaitReady("floor", 1);
    }

    @Test
    void aJobTakesNoSandboxOfAnImageImportedAgainSinceEvenBeforeUpkeepNotices() {
        var made = new java.util.concurrent.atomic.AtomicReference<>(Optional.of(Instant.parse("2030-01-01T00:00:00Z")));
        ImageVersions images = image -> "busybox".equals(image) ? made.get() : Optional.empty();
        manager = new PoolManager(PoolConfig.of(List.of(new PoolSpec("p", RUNTIME, "busybox", 1.0, 256L, 1, 1, 60)), 0)
                .withCheckEvery(Duration.ofHours(1)), List.of(runtime), 64 * 1024, () -> 64 * 1024, images, clock).start();
        awaitReady("p", 1);
        List<FakeSandbox> before = List.copyOf(runtime.sandboxes());
        JobSpec busybox = JobSpec.builder().command("echo", "hi").image("busybox")
                .resources(new Resources(1.0, 256L, null, null, null, null)).build();

        made.set(Optional.of(Instant.parse("2030-01-02T00:00:00Z"))); // removed and imported again

        assertThat(manager.take(RUNTIME, busybox)).as("no sandbox of the old image").isEmpty();
        await().atMost(WAIT).until(() -> before.stream().allMatch(FakeSandbox::destroyed));
        awaitReady("p", 1);
        assertThat(manager.take(RUNTIME, busybox)).as("one of the image as it is now").isPresent();
    }

    /** The runtime snapshots sandboxes (counted in {@code made}), restores them as new ones and counts deletions. */
    private void snapshotsCounted(AtomicInteger made, AtomicInteger deleted) {
        runtime.snapshotWith(new Snapshotting() {
            @Override
            public Snapshot snapshot(Sandbox sandbox) {
                sandbox.destroy();
                return new Snapshot("template-" + made.incrementAndGet(), RUNTIME, "nowhere");
            }

            @Override
            public Sandbox restore(Snapshot snapshot, SandboxSpec spec) throws SandboxException {
                Sandbox restored = runtime.create(spec);
                restored.prestart(); // as a real restore: its launcher waits for a job
                return restored;
            }

            @Override
            public void delete(Snapshot snapshot) {
                deleted.incrementAndGet();
            }
        });
    }

    @Test
    void aPoolRemakesItsSandboxesAndTemplateOnceItsImageIsMadeAgain() {
        var made = new java.util.concurrent.atomic.AtomicReference<>(Optional.of(Instant.parse("2030-01-01T00:00:00Z")));
        var snapshots = new AtomicInteger();
        var deleted = new AtomicInteger();
        snapshotsCounted(snapshots, deleted);
        ImageVersions images = image -> "busybox".equals(image) ? made.get() : Optional.empty();
        manager = new PoolManager(PoolConfig.of(List.of(new PoolSpec("p", RUNTIME, "busybox", 1.0, 256L, 2, 2, 60, true,
                null)), 0).withCheckEvery(Duration.ofHours(1)), List.of(runtime), 64 * 1024, () -> 64 * 1024, images,
                clock).start();
        awaitReady("p", 2);
        List<FakeSandbox> before = List.copyOf(runtime.sandboxes());
        manager.upkeep();
        assertThat(runtime.sandboxes()).as("the same image: kept").containsExactlyElementsOf(before);

        made.set(Optional.of(Instant.parse("2030-01-02T00:00:00Z"))); // removed and imported again
        manager.upkeep();

        awaitReady("p", 2);
        await().atMost(WAIT).until(() -> before.stream().allMatch(FakeSandbox::destroyed));
        assertThat(deleted.get()).as("the old image's template").isEqualTo(1);
        assertThat(snapshots.get()).as("a template of the image as it is now").isEqualTo(2);
    }

    @Test
    void aBuiltInImageMadeByThePoolsFirstMakeIsNotTakenForOneMadeAgain() {
        var snapshots = new AtomicInteger();
        snapshotsCounted(snapshots, new AtomicInteger());
        // as a built-in image is: not there until the first sandbox of it is made
        ImageVersions images = image -> runtime.sandboxes().isEmpty() ? Optional.empty()
                : Optional.of(Instant.parse("2030-01-01T00:00:00Z"));
        manager = new PoolManager(PoolConfig.of(List.of(new PoolSpec("p", RUNTIME, "debian", 1.0, 256L, 2, 2, 60, true,
                null)), 0).withCheckEvery(Duration.ofHours(1)), List.of(runtime), 64 * 1024, () -> 64 * 1024, images,
                clock).start();
        awaitReady("p", 2);

        manager.upkeep();

        awaitReady("p", 2);
        assertThat(runtime.sandboxes()).filteredOn(FakeSandbox::destroyed).as("the template's own sandbox alone")
                .hasSize(1);
        assertThat(snapshots.get()).as("one template").isEqualTo(1);
    }

    @Test
    void aPoolWhoseSandboxesChangeSizeGivesBackWhatTheOldOnesWereCharged() {
        start(0, pool("p", 2, 2));
        awaitReady("p", 2);

        manager.put(new PoolSpec("p", RUNTIME, null, 1.0, 512L, 2, 2, 60));

        awaitReady("p", 2);
        assertThat(manager.budget().heldMb()).isEqualTo(1024);
    }

    @Test
    void sandboxesThatKeepDyingYoungBackThePoolOffLongerEachTime() {
        start(0, pool("p", 1, 1));
        for (long waited : new long[] {1, 2, 4}) {
            awaitReady("p", 1);
            runtime.sandboxes().getLast().killLauncher();
            manager.upkeep();
            clock.advance(Duration.ofSeconds(waited).minusMillis(1));
            manager.upkeep();
            assertThat(status("p").ready() + status("p").starting()).as("within a backoff of %d s", waited).isZero();
            clock.advance(Duration.ofMillis(1));
            manager.upkeep();
        }
        awaitReady("p", 1);
    }

    @Test
    void makesThatKeepFailingBackOffLongerEvenWhileOlderSandboxesLive() {
        start(0, pool("p", 1, 2));
        awaitReady("p", 1);
        clock.advance(Duration.ofMinutes(1)); // the one made lives on
        runtime.failCreates(true);

        manager.put(pool("p", 2, 2));
        await().atMost(WAIT).until(() -> status("p").failed() == 1 && status("p").starting() == 0);
        clock.advance(Duration.ofSeconds(1));
        manager.upkeep();
        await().atMost(WAIT).until(() -> status("p").failed() == 2 && status("p").starting() == 0);

        clock.advance(Duration.ofMillis(1999));
        manager.upkeep();
        PoolStatus status = status("p"); // one look: a make begun would be starting, or failed a third time
        assertThat(status.starting() + status.failed()).as("within the second backoff, of 2 s").isEqualTo(2);
    }

    /** Snapshots whose template's prepare step runs until its sandbox is destroyed (up to 60 s); each ending told. */
    private void preparingUntilDestroyed(List<String> ended) {
        snapshotsCounted(new AtomicInteger(), new AtomicInteger());
        Snapshotting working = runtime.snapshots().orElseThrow();
        runtime.snapshotWith(new Snapshotting() {
            @Override
            public Snapshot snapshot(Sandbox sandbox) throws SandboxException {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (sandbox.state() != dev.hangar.core.runtime.SandboxState.STOPPED && System.nanoTime() < deadline) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                String how = sandbox.state() == dev.hangar.core.runtime.SandboxState.STOPPED ? "destroyed" : "ran out";
                ended.add(how + " " + ((FakeSandbox) sandbox).spec().image());
                throw new SandboxException("the prepare step ended: its sandbox " + how + " (test)");
            }

            @Override
            public Sandbox restore(Snapshot snapshot, SandboxSpec spec) throws SandboxException {
                return working.restore(snapshot, spec);
            }

            @Override
            public void delete(Snapshot snapshot) throws SandboxException {
                working.delete(snapshot);
            }
        });
    }

    @Test
    void aTemplateBeingMadeEndsWhenItsPoolIsRemovedOrItsSandboxesChangeRatherThanRunItsPrepareStepOut() {
        var ended = new java.util.concurrent.CopyOnWriteArrayList<String>();
        preparingUntilDestroyed(ended);
        start(0, new PoolSpec("p", RUNTIME, "old", 1.0, 256L, 1, 1, 60, true, null),
                new PoolSpec("q", RUNTIME, "q", 1.0, 256L, 1, 1, 60, true, null));
        await().atMost(WAIT).until(() -> runtime.sandboxes().size() == 2); // both templates preparing

        // an image whose prepare step hangs, replaced: the old one held the lock, and a maker's turn, for up to 5 min
        manager.put(new PoolSpec("p", RUNTIME, "new", 1.0, 256L, 1, 1, 60, true, null));
        await().atMost(WAIT).until(() -> ended.contains("destroyed old"));
        assertThat(ended).as("the other pool's template").doesNotContain("destroyed q");

        assertThat(manager.remove("q")).isPresent();
        await().atMost(WAIT).until(() -> ended.contains("destroyed q"));
    }

    @Test
    void aPoolThatStopsUsingSnapshotsDeletesItsTemplate() {
        var deleted = new AtomicInteger();
        snapshotsCounted(new AtomicInteger(), deleted);
        start(0, snapshotPool("p", 1));
        awaitReady("p", 1);

        manager.put(pool("p", 1, 1)); // booted sandboxes from now on
        awaitReady("p", 1);
        await().atMost(WAIT).until(() -> deleted.get() == 1);
    }

    @Test
    void badPoolsAreRefusedNamingEveryField() {
        start(0);
        assertThatThrownBy(() -> manager.put(new PoolSpec("bad name!", "kata", "bad image!", 0.0, 8L, 5, 2, 0)))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field)
                        .containsExactlyInAnyOrder("name", "runtime", "image", "cpus", "memoryMb", "max", "idleSeconds"));
        assertThatThrownBy(() -> manager.put(new PoolSpec(null, null, null, null, null, -1, 0, null)))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactlyInAnyOrder("runtime", "min", "max"));
        assertThatThrownBy(() -> manager.put(new PoolSpec(null, runtime.name(), null, null, null, 1001, null, null)))
                .as("a bad min alone, not the max it would have implied")
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactly("min"));
        // this runtime cannot snapshot: the refusal names the field the user gave
        assertThatThrownBy(() -> manager.put(new PoolSpec("p", runtime.name(), null, null, null, 1, 1, null, null, "echo hi")))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactly("prepare"));
        assertThatThrownBy(() -> manager.put(new PoolSpec("s", runtime.name(), null, null, null, 1, 1, null, true, null)))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactly("snapshot"));
        int cores = Runtime.getRuntime().availableProcessors();
        assertThatThrownBy(() -> manager.put(new PoolSpec("big", runtime.name(), null, cores + 1.0, null, 1, 1, null)))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors())
                        .containsExactly(new FieldError("cpus", "must be at most " + cores + " (this node's cores), got "
                                + (cores + 1.0))));
        assertThat(manager.pools()).isEmpty();
    }

    @Test
    void aPoolBiggerThanTheCpusTheNodesJobsMayReserveIsRefused() {
        manager = new PoolManager(PoolConfig.of(List.of(), 0).withCheckEvery(Duration.ofHours(1)).withJobCpus(0.5),
                List.of(runtime), 64 * 1024, clock).start();
        assertThatThrownBy(() -> manager.put(new PoolSpec("big", runtime.name(), null, 1.0, null, 1, 1, null)))
                .as("no job of this node could take its sandboxes: a lease gives none more than --cpus")
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors())
                        .containsExactly(new FieldError("cpus", "must be at most 0.5 (the CPUs this node's jobs may reserve,"
                                + " --cpus), got 1.0")));
        assertThat(manager.put(new PoolSpec("fits", runtime.name(), null, 0.5, null, 1, 1, null)).status().spec().cpus()).isEqualTo(0.5);
    }

    @Test
    void aBadConfiguredPoolStopsTheStartNamingItAndStartsNothing() {
        var config = PoolConfig.of(List.of(pool("good", 1, 1), new PoolSpec("worse", "nope", null, null, null, 1, 1, null)), 0);
        var bad = new PoolManager(config, List.of(runtime), 1024, clock);
        assertThatThrownBy(bad::start).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--pool worse").hasMessageContaining("runtime");
        bad.close();
        assertThat(runtime.sandboxes()).isEmpty();
    }

    @Test
    void aDefaultPoolFitsADefaultJobAndNamesItself() {
        var spec = new PoolSpec(null, "process", null, null, null, null, null, null);
        assertThat(spec.name()).isEqualTo("process-default-1cpu-512mb");
        assertThat(spec.resources().memoryMb()).isEqualTo(Resources.DEFAULT_MEMORY_MB);
        assertThat(spec.min()).isEqualTo(PoolSpec.DEFAULT_MIN);
        assertThat(spec.max()).isEqualTo(PoolSpec.DEFAULT_MIN);
    }
}
