package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.hangar.agent.FakePrestartingRuntime.FakeSandbox;
import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Resources;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseStatus;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.runtime.Mount;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.runtime.support.MountPins;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent when the queue or a runtime fails, over a real store (whose clock the test moves) and
 * a test double runtime: a job runs here only while this node holds its lease, and a runtime that
 * keeps failing is benched instead of failing every job.
 */
class AgentFaultTest {
    private static final Duration LEASE = Duration.ofSeconds(6);
    private static final Duration BENCH = Duration.ofSeconds(5);
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private final FakePrestartingRuntime runtime = new FakePrestartingRuntime();
    private final FakeClock storeClock = new FakeClock(Instant.now());
    /** While set, every call the agent makes to the queue fails, as if the queue were out of its reach. */
    private final AtomicBoolean queueAway = new AtomicBoolean();
    /** Lease calls that lease a job and then fail, as if the answer were lost on the way. */
    private final AtomicInteger leaseAnswersToLose = new AtomicInteger();
    /** Output appends that are stored and then fail, as if the answer were lost on the way. */
    private final AtomicInteger appendAnswersToLose = new AtomicInteger();
    /** Calls that record a job running and answer that its lease is lost, without asking the store. */
    private final AtomicInteger startsToRefuse = new AtomicInteger();
    /** Calls that record a job's step (starting, running, started), are done and then fail, as if the answer were lost. */
    private final AtomicInteger stepAnswersToLose = new AtomicInteger();
    /** Output appends that fail before they reach the store. */
    private final AtomicInteger appendsToFail = new AtomicInteger();
    /** The delivery of a job whose output appends all fail, as with a queue out of reach for appends alone (0: none). */
    private final AtomicInteger deliveryWhoseAppendsFail = new AtomicInteger();
    /** Every lease the agent was handed (its answer not lost). */
    private final List<Lease> leases = new java.util.concurrent.CopyOnWriteArrayList<>();
    /**
     * Leases whose renewals hang until the test ends, as a call to a queue that answers others but not this one: each
     * as its job's id and delivery, "j-1#1".
     */
    private final Set<String> renewalsToHang = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.CountDownLatch testEnded = new java.util.concurrent.CountDownLatch(1);
    /** While set, lease calls wait until {@link #hungLeasesAnswer}, as calls on a lost connection wait their command timeout. */
    private final AtomicBoolean leaseCallsHang = new AtomicBoolean();
    private final AtomicInteger leaseCallsHanging = new AtomicInteger();
    private final java.util.concurrent.CountDownLatch hungLeasesAnswer = new java.util.concurrent.CountDownLatch(1);
    /** While set, calls that record a job running (running, started) wait until it is cleared, as on a queue away. */
    private final AtomicBoolean runningCallsHang = new AtomicBoolean();
    /** How long the agent lets a sandbox take to make. */
    private Duration createTimeout = AgentConfig.DEFAULT_CREATE_TIMEOUT;
    private MountPolicy mountPolicy = MountPolicy.none();
    private MountPins pins = MountPins.atDefaultRoot();
    private SqliteQueueBackend store;
    private Agent agent;
    /** What the agent logged of its jobs' attempts: why a sandbox failed is said there (and not to every tenant). */
    private final List<String> attemptLog = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.logging.Handler keepAttemptLog = new java.util.logging.Handler() {
        @Override
        public void publish(java.util.logging.LogRecord record) {
            attemptLog.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** Held here: a logger no one holds may be collected, and with it the handler added to it. */
    private final java.util.logging.Logger attemptLogger = java.util.logging.Logger.getLogger(JobAttempt.class.getName());

    @org.junit.jupiter.api.BeforeEach
    void listen() {
        attemptLogger.addHandler(keepAttemptLog);
    }

    private boolean logged(String text) {
        return attemptLog.stream().anyMatch(message -> String.valueOf(message).contains(text));
    }

    @AfterEach
    void stop() {
        attemptLogger.removeHandler(keepAttemptLog);
        queueAway.set(false);
        runningCallsHang.set(false);
        testEnded.countDown();
        hungLeasesAnswer.countDown();
        if (agent != null) {
            agent.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private void start() {
        start(8);
    }

    private void start(int maxJobs) {
        start(maxJobs, PoolConfig.of(List.of(), 0));
    }

    private void start(int maxJobs, PoolConfig pools) {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), storeClock);
        AgentConfig config = new AgentConfig("node", 64, 64 * 1024, List.of(), maxJobs, LEASE, Duration.ofMillis(100),
                false, mountPolicy, Set.of(), pools).withCreateTimeout(createTimeout);
        agent = new Agent(config, reachableWhileNotAway(store), List.of(runtime), Set::of, dev.hangar.agent.pool.ImageVersions.NONE, BENCH,
                pins).start();
    }

    /** The store as the agent sees it: every call fails while the queue is away. */
    private QueueBackend reachableWhileNotAway(QueueBackend real) {
        return (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(), new Class<?>[] {QueueBackend.class},
                (proxy, method, args) -> {
                    if (queueAway.get() && method.getDeclaringClass() != Object.class) {
                        throw new QueueException("the queue is out of reach (test)", null);
                    }
                    if (method.getName().equals("lease") && leaseCallsHang.get()) {
                        leaseCallsHanging.incrementAndGet();
                        hungLeasesAnswer.await();
                    }
                    if (Set.of("running", "started").contains(method.getName())) {
                        await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(WAIT)
                                .until(() -> !runningCallsHang.get());
                    }
                    if (method.getName().equals("renew") && renewalsToHang.contains(
                            ((Lease) args[0]).jobId() + "#" + ((Lease) args[0]).job().deliveries())) {
                        testEnded.await();
                    }
                    if (Set.of("running", "started").contains(method.getName())
                            && startsToRefuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        return false;
                    }
                    boolean append = method.getName().equals("appendLog") && args[0] instanceof Lease;
                    if (append && ((Lease) args[0]).job().deliveries() == deliveryWhoseAppendsFail.get()) {
                        throw new QueueException("the queue is out of reach for this delivery's appends (test)", null);
                    }
                    if (append && appendsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        throw new QueueException("the queue is out of reach for an append (test)", null);
                    }
                    try {
                        Object answer = method.invoke(real, args);
                        if (answer instanceof Optional<?> leased && leased.isPresent() && method.getName().equals("lease")) {
                            if (leaseAnswersToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                throw new QueueException("the answer to a lease was lost (test)", null);
                            }
                            leases.add((Lease) leased.get());
                        }
                        if (Set.of("starting", "running", "started").contains(method.getName())
                                && stepAnswersToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                            throw new QueueException("the answer to " + method.getName() + " was lost (test)", null);
                        }
                        if (append && appendAnswersToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                            throw new QueueException("the answer to an append was lost (test)", null);
                        }
                        return answer;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static JobSpec blocking() {
        return job("block");
    }

    private static JobSpec job(String... command) {
        return JobSpec.builder().command(command).runtime(FakePrestartingRuntime.NAME)
                .resources(new Resources(0.5, 128L, null, null, null, null)).build();
    }

    private long count(List<String> ids, JobState state) {
        return ids.stream().filter(id -> store.get(id).orElseThrow().state() == state).count();
    }

    /** The sandbox of this job, the first made, once it runs there. */
    private FakeSandbox runningIn(String id) {
        awaitState(id, JobState.RUNNING);
        return runtime.sandboxes().getFirst();
    }

    private Job awaitState(String id, JobState state) {
        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> store.get(id).orElseThrow().state() == state);
        return store.get(id).orElseThrow();
    }

    @Test
    void aJobWhoseLeaseCannotBeRenewedIsStoppedHereAndNothingIsRecordedForIt() {
        start();
        String id = store.enqueue(blocking()).job().id();
        FakeSandbox sandbox = runningIn(id);

        queueAway.set(true); // for good: without the fix the job ran on here for as long as that lasted

        await().atMost(WAIT).until(() -> sandbox.destroyed() && agent.runningJobs() == 0);
        assertThat(store.get(id).orElseThrow().state()).as("this node could record nothing").isEqualTo(JobState.RUNNING);
    }

    @Test
    void aJobThatTimesOutWhileTheQueueIsToldItRunsIsKilledThenAndEndsTimedOut() {
        start();
        runningCallsHang.set(true);
        String id = store.enqueue(blocking().toBuilder().timeoutSeconds(1).build()).job().id();
        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> !runtime.sandboxes().isEmpty());
        FakeSandbox sandbox = runtime.sandboxes().getFirst();

        // without the fix it ran on, past its wall time, for as long as the call took (up to a lease on a queue away)
        await().atMost(WAIT).until(sandbox::processesEnded);
        assertThat(sandbox.destroyed()).as("killed, not ended with its sandbox").isFalse();

        runningCallsHang.set(false);
        Job ended = awaitState(id, JobState.TIMED_OUT);
        assertThat(ended.error()).as("not a process that exited 137 of itself").startsWith("timed out after 1 s");
    }

    @Test
    void aJobCancelledWhileTheQueueIsToldItRunsIsKilledThenAndEndsCancelled() {
        start();
        runningCallsHang.set(true);
        String id = store.enqueue(blocking()).job().id();
        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> !runtime.sandboxes().isEmpty());
        FakeSandbox sandbox = runtime.sandboxes().getFirst();

        store.cancel(id); // reaches the node with the job's next renewal

        await().atMost(WAIT).until(sandbox::processesEnded);
        assertThat(sandbox.destroyed()).as("killed, not ended with its sandbox").isFalse();
        runningCallsHang.set(false);
        awaitState(id, JobState.CANCELLED);
    }

    @Test
    void aProcessThatExitedZeroThoughItsExitWasToldOnlyAfterItsTimeoutSucceeded() {
        start();
        String id = store.enqueue(job("exited-told-late").toBuilder().timeoutSeconds(1).build()).job().id();

        // it was recorded TIMED_OUT, and run again: a killed process does not exit 0
        Job ended = awaitState(id, JobState.SUCCEEDED);
        assertThat(ended.exitCode()).isZero();
        assertThat(ended.attempt()).isEqualTo(1);
    }

    @Test
    void aJobCancelledAfterItsOutputPassedItsLimitStillSaysItsOutputWasCut() {
        start();
        JobSpec chatty = job("block", "x".repeat(100)).toBuilder()
                .resources(new Resources(0.5, 128L, null, null, null, 10L)).build();
        String id = store.enqueue(chatty).job().id();
        await().atMost(WAIT).until(() -> !store.readLog(id, 0, 10).isEmpty());

        store.cancel(id);

        Job cancelled = awaitState(id, JobState.CANCELLED);
        assertThat(cancelled.outputTruncated()).as("its output was cut at 10 bytes, as its log says").isTrue();
    }

    @Test
    void aJobThatEndedBeforeItsTimeoutCameWhileTheQueueWasToldItRunsEndsAsItsProcessDid() throws InterruptedException {
        start();
        runningCallsHang.set(true);
        String id = store.enqueue(job("true").toBuilder().timeoutSeconds(1).build()).job().id();
        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> !runtime.sandboxes().isEmpty());
        FakeSandbox sandbox = runtime.sandboxes().getFirst();
        await().atMost(WAIT).until(sandbox::processesEnded);

        Thread.sleep(1_500); // its timeout comes meanwhile
        runningCallsHang.set(false);

        // it was recorded TIMED_OUT (and retried, where a retry was asked), though its process had exited 0
        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> store.get(id).orElseThrow().state().isFinal());
        assertThat(store.get(id).orElseThrow()).extracting(Job::state, Job::exitCode).containsExactly(JobState.SUCCEEDED, 0);
    }

    @Test
    void aJobStoppedForItsLeaseThatTheQueueStillHeldIsGivenBackAtOnceWhenTheQueueComesBack() {
        start();
        String id = store.enqueue(blocking()).job().id();
        FakeSandbox sandbox = runningIn(id);
        queueAway.set(true);
        await().atMost(WAIT).until(sandbox::destroyed);

        queueAway.set(false); // the store's clock stands still: the lease is held all along

        // given back, it is leased again and runs here again; without the fix it showed RUNNING where nothing ran
        // until its lease lapsed
        await().atMost(WAIT).until(() -> runtime.sandboxes().size() == 2);
        Job again = awaitState(id, JobState.RUNNING);
        assertThat(again.deliveries()).isEqualTo(2);
    }

    @Test
    void anAgentStoppedWhileTheQueueIsAwayStopsItsJobsAndLeavesTheirLeasesToRunOut() {
        start();
        String id = store.enqueue(blocking()).job().id();
        FakeSandbox sandbox = runningIn(id);
        queueAway.set(true);

        agent.close(); // without the fix it threw the queue's failure, and a service manager saw the stop fail
        agent = null;

        assertThat(sandbox.destroyed()).isTrue();
        queueAway.set(false);
        storeClock.advance(LEASE.plusSeconds(1));
        store.requeueExpired();
        assertThat(store.get(id).orElseThrow().state()).as("its lease ran out: it waits for another node")
                .isEqualTo(JobState.QUEUED);
    }

    @Test
    void aStopDoesNotWaitOutALeaseCallThatHangsAndTheJobThatCallLeasesAfterIsNotRunHere() {
        start();
        leaseCallsHang.set(true);
        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> leaseCallsHanging.get() == 1);
        String id = store.enqueue(job("echo", "late")).job().id();

        // generous: what is tested is that the stop does not wait for the call, which here never answers on its own
        assertTimeoutPreemptively(Agent.LEASE_CALL_WAIT_ON_STOP.multipliedBy(5), () -> agent.close());
        hungLeasesAnswer.countDown(); // the call reaches the queue after all, and leases the job
        Agent stopped = agent;
        agent = null;

        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> store.get(id).orElseThrow().state() == JobState.SCHEDULED);
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> runtime.sandboxes().isEmpty());
        assertThat(stopped.runningJobs()).as("not launched: the agent had stopped").isZero();
        storeClock.advance(LEASE.plusSeconds(1));
        store.requeueExpired();
        assertThat(store.get(id).orElseThrow().state()).as("its lease ran out: it waits for another node")
                .isEqualTo(JobState.QUEUED);
    }

    @Test
    void aStepWhoseAnswerWasLostIsNotTakenForALostLeaseWhenItsRetryFindsItDone() {
        start();
        stepAnswersToLose.set(2); // the answers to starting and to running: both were done
        String id = store.enqueue(job("echo", "hi")).job().id();

        Job done = awaitState(id, JobState.SUCCEEDED);
        assertThat(done.deliveries()).as("delivered once: the run was not stopped as if its lease were lost").isEqualTo(1);
        assertThat(stepAnswersToLose.get()).as("answers lost").isZero();
        assertThat(runtime.sandboxes()).hasSize(1);
    }

    @Test
    void aRenewalThatHangsHoldsUpNoOtherJobsRenewal() {
        start();
        String hung = store.enqueue(blocking()).job().id();
        String other = store.enqueue(blocking()).job().id();
        awaitState(hung, JobState.RUNNING);
        awaitState(other, JobState.RUNNING);
        renewalsToHang.add(hung + "#1");
        FakeSandbox hungsSandbox = runtime.sandboxes().stream().filter(s -> s.id().contains(hung))
                .findFirst().orElseThrow();

        // the job whose renewals hang is stopped here before its lease may run out; the other runs on, renewed
        await().atMost(WAIT).until(hungsSandbox::destroyed);
        await().during(LEASE).atMost(WAIT).until(() -> store.get(other).orElseThrow().state() == JobState.RUNNING);
        assertThat(runtime.sandboxes()).filteredOn(FakeSandbox::destroyed).as("sandboxes destroyed")
                .containsExactly(hungsSandbox);
        // the store held its lease all along: given back once stopped, it was leased again and runs here
        assertThat(store.get(hung).orElseThrow()).extracting(Job::state, Job::deliveries)
                .containsExactly(JobState.RUNNING, 2);
    }

    @Test
    void aJobThisNodeLeasesAgainStopsItsEarlierRunAndTheNewRunIsTheOneCancelled() {
        start();
        String id = store.enqueue(blocking()).job().id();
        Job first = awaitState(id, JobState.RUNNING);
        FakeSandbox earlier = runtime.sandboxes().getFirst();

        // the lease runs out as the store sees it (as after an outage of the queue) and is taken back; this
        // node has room, so it leases the job again
        storeClock.advance(LEASE.multipliedBy(10));
        store.requeueExpired(); // or the agent's own upkeep does, a moment later
        await().atMost(WAIT).until(() -> runtime.sandboxes().size() == 2 && store.get(id).orElseThrow().state() == JobState.RUNNING);
        FakeSandbox later = runtime.sandboxes().get(1);

        await("the earlier run, whose lease is gone").atMost(WAIT).until(() -> earlier.destroyed() && agent.runningJobs() == 1);
        assertThat(later.destroyed()).isFalse();
        assertThat(later.spec().id()).as("a sandbox of its own").isNotEqualTo(earlier.spec().id());
        assertThat(store.get(id).orElseThrow().deliveries()).isEqualTo(first.deliveries() + 1);

        store.cancel(id);
        assertThat(awaitState(id, JobState.CANCELLED).state()).isEqualTo(JobState.CANCELLED);
        await().atMost(WAIT).until(later::destroyed);
    }

    @Test
    void aRuntimeWhoseSandboxesKeepFailingIsBenchedAndItsJobsAreGivenBackToWaitInsteadOfFailing() {
        start(1); // one job at a time, so that the jobs fail in turn
        runtime.failCreates(true);
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(store.enqueue(job("echo", "job-" + i)).job().id());
        }

        await().atMost(WAIT).until(() -> String.valueOf(agent.runtimes().getFirst().probe().reason())
                .contains(RuntimeHealth.FAILURES_TO_BENCH + " sandboxes in a row failed"));
        // the failure's own words may hold a job's command line or id, and every tenant reads this reason: they are
        // in the agent's log alone
        assertThat(agent.runtimes().getFirst().probe().reason()).startsWith("benched for")
                .endsWith("failed on this node (its agent's log says why)").doesNotContain("fake runtime told to fail");
        // the runtime failed, not the jobs: each was given back without using up an attempt, and waits
        await().atMost(WAIT).until(() -> count(ids, JobState.QUEUED) == ids.size());
        Job first = store.get(ids.getFirst()).orElseThrow();
        assertThat(first.deliveries()).as("deliveries of the job tried in turn").isEqualTo(RuntimeHealth.FAILURES_TO_BENCH);
        assertThat(first.attempt()).as("attempts used").isZero();

        runtime.failCreates(false); // mended: once the bench is over the runtime is tried again, and works
        await().atMost(WAIT).until(() -> count(ids, JobState.SUCCEEDED) == ids.size());
        assertThat(store.get(ids.getFirst()).orElseThrow().attempt()).as("one attempt, the one that ran").isEqualTo(1);
        assertThat(agent.runtimes().getFirst().probe().available()).isTrue();
    }

    @Test
    void aNodeAloneThatCouldNotMountAJobsPathsLeavesItQueuedForAWhileRatherThanUseUpItsDeliveries() throws Exception {
        Path data = java.nio.file.Files.createDirectory(dir.resolve("data"));
        mountPolicy = MountPolicy.onThisHost(List.of(data));
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "only a root agent pins mounts, whose failure this is");
        Path pinsRoot = dir.resolve("pins");
        pins = new MountPins(pinsRoot);
        start(); // its trial of the pins passes
        // the host's fault, not the job's: where the pins go is a file now
        try (var tree = java.nio.file.Files.walk(pinsRoot)) {
            tree.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        java.nio.file.Files.writeString(pinsRoot, "not a directory");
        String id = store.enqueue(JobSpec.builder().command("echo").runtime(FakePrestartingRuntime.NAME)
                .mounts(List.of(new Mount(data.toString(), "/data", true))).build()).job().id();

        await().atMost(WAIT).until(() -> store.get(id).orElseThrow().deliveries() >= 1
                && store.get(id).orElseThrow().state() == JobState.QUEUED);
        Thread.sleep(1500); // a dozen of the agent's lease polls
        Job job = store.get(id).orElseThrow();
        // it used to be leased again at once, five times in a second, and end DEAD
        assertThat(job.state()).isEqualTo(JobState.QUEUED);
        assertThat(job.deliveries()).isEqualTo(1);
        assertThat(job.attempt()).isZero();
    }

    @Test
    void aJobThatEndsOnASandboxMadeBeforeTheRuntimeBrokeDoesNotLiftItsBench() {
        start(2);
        String longRunning = store.enqueue(blocking()).job().id(); // its sandbox made while the runtime worked
        awaitState(longRunning, JobState.RUNNING);
        runtime.failCreates(true); // then the runtime broke
        for (int i = 0; i < RuntimeHealth.FAILURES_TO_BENCH; i++) {
            store.enqueue(job("echo", "job-" + i));
        }
        await().atMost(WAIT).until(() -> String.valueOf(agent.runtimes().getFirst().probe().reason())
                .contains(RuntimeHealth.FAILURES_TO_BENCH + " sandboxes in a row failed"));

        store.cancel(longRunning);
        awaitState(longRunning, JobState.CANCELLED);
        await().atMost(WAIT).until(() -> runtime.sandboxes().getFirst().destroyed() && agent.runningJobs() == 0);
        // cleared, the record would start again from the next failure: "a sandbox failed"
        assertThat(agent.runtimes().getFirst().probe().reason()).as("still benched for the failures in a row")
                .matches("benched for \\d+ s more: [3-9] sandboxes in a row failed .*");
    }

    @Test
    void outputThatTheQueueCouldNotTakeOrAnswerIsSentAgainAndStoredOnce() {
        start();
        appendsToFail.set(2);
        String refused = store.enqueue(job("echo", "refused twice")).job().id();
        Job first = awaitState(refused, JobState.SUCCEEDED);
        appendAnswersToLose.set(1);
        String unanswered = store.enqueue(job("echo", "stored, answer lost")).job().id();
        Job second = awaitState(unanswered, JobState.SUCCEEDED);

        assertThat(store.readLog(refused, 0, 10)).extracting(chunk -> new String(chunk.data(), StandardCharsets.UTF_8))
                .containsExactly("refused twice\n");
        assertThat(store.readLog(unanswered, 0, 10)).extracting(chunk -> new String(chunk.data(), StandardCharsets.UTF_8))
                .containsExactly("stored, answer lost\n");
        assertThat(List.of(first.outputTruncated(), second.outputTruncated())).as("nothing lost").containsOnly(false);
    }

    @Test
    void aRunWhoseOutputCouldNotBeStoredWithinTheLeaseIsGivenBackAndRunsAgainRatherThanSucceedWithoutIt() {
        start();
        deliveryWhoseAppendsFail.set(1); // the renewals and the finish get through: the lease stays this node's

        String id = store.enqueue(job("echo", "said")).job().id();

        // the store's clock stands still: only a run given back is delivered again
        Job done = awaitState(id, JobState.SUCCEEDED);
        assertThat(done.deliveries()).as("the run whose output was lost, then the one that ran").isEqualTo(2);
        assertThat(done.attempt()).as("not the job's fault: no attempt used").isEqualTo(1);
        assertThat(done.outputTruncated()).isFalse();
        assertThat(store.readLog(id, 0, 10)).extracting(chunk -> chunk.delivery() + ":"
                + new String(chunk.data(), StandardCharsets.UTF_8)).containsExactly("2:said\n");
    }

    @Test
    void aJobLeasedByACallWhoseAnswerWasLostIsGivenBackAtOnceAndRuns() {
        start(2);
        String running = store.enqueue(blocking()).job().id();
        awaitState(running, JobState.RUNNING);
        Lease runningLease = leases.stream().filter(lease -> lease.jobId().equals(running)).findFirst().orElseThrow();
        leaseAnswersToLose.set(1);
        String id = store.enqueue(job("echo", "hi")).job().id();

        // the store's clock stands still: the lost lease never expires, so only giving it back lets the job run
        Job done = awaitState(id, JobState.SUCCEEDED);

        assertThat(leaseAnswersToLose.get()).as("the lease whose answer was lost").isZero();
        assertThat(done.deliveries()).as("deliveries: the lost one, then the one that ran").isEqualTo(2);
        assertThat(done.attempt()).isEqualTo(1);
        assertThat(store.get(running).orElseThrow().state()).as("the job running meanwhile").isEqualTo(JobState.RUNNING);
        assertThat(runtime.sandboxes().getFirst().destroyed()).as("its sandbox").isFalse();
        assertThat(store.renew(runningLease)).as("its lease, kept").isEqualTo(LeaseStatus.HELD);
    }

    @Test
    void sandboxesThatFailForTheJobsOwnImageBenchNoRuntime() {
        start(1);
        runtime.failCreatesForAMissingImage(true);
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < RuntimeHealth.FAILURES_TO_BENCH + 1; i++) {
            ids.add(store.enqueue(job("echo", "job-" + i)).job().id());
        }

        await().atMost(WAIT).until(() -> count(ids, JobState.FAILED) == ids.size());
        assertThat(agent.runtimes().getFirst().probe().available()).isTrue();
    }

    @Test
    void aProcessWhoseRuntimeCannotSayHowItEndedIsTheRuntimesFaultNotTheJobs() {
        start(1);
        String id = store.enqueue(job("lost")).job().id();

        // given back each time without using up an attempt (it failed as "agent error" before), until the
        // runtime is benched and the job waits
        await().atMost(WAIT).until(() -> String.valueOf(agent.runtimes().getFirst().probe().reason())
                .contains(RuntimeHealth.FAILURES_TO_BENCH + " sandboxes in a row failed"));
        assertThat(logged("lost track of the process")).as("why, in the agent's log").isTrue();
        Job job = awaitState(id, JobState.QUEUED);
        assertThat(job.attempt()).as("attempts used").isZero();
    }

    @Test
    void aJobCancelledWhoseKilledProcessTheRuntimeLosesTrackOfIsCancelledNotGivenBack() {
        start();
        String id = store.enqueue(job("lost-when-killed")).job().id();
        awaitState(id, JobState.RUNNING);
        store.cancel(id);

        Job cancelled = awaitState(id, JobState.CANCELLED);
        assertThat(cancelled.attempt()).isEqualTo(1);
        assertThat(agent.runtimes().getFirst().probe().available()).as("the runtime is not blamed").isTrue();
    }

    @Test
    void aJobCancelledWhileItsSandboxIsMadeEndsAtOnceAndNeverStartsItsProcess() {
        start();
        runtime.holdCreates(); // as a long image import, or a runtime that hangs
        String id = store.enqueue(blocking()).job().id();
        awaitState(id, JobState.STARTING);
        store.cancel(id);

        Job cancelled = awaitState(id, JobState.CANCELLED); // without waiting for the sandbox
        assertThat(cancelled.error()).isEqualTo("cancelled on request before its process started");
        assertThat(runtime.sandboxes()).as("made so far").isEmpty();
        runtime.releaseCreates();

        await().atMost(WAIT).until(() -> runtime.sandboxes().size() == 1 && runtime.sandboxes().getFirst().destroyed());
        assertThat(runtime.sandboxes().getFirst().execs()).as("processes started").isZero();
    }

    @Test
    void aSandboxNotMadeWithinTheCreateTimeoutGivesTheJobBackAndCountsAgainstItsRuntime() {
        createTimeout = Duration.ofSeconds(1);
        start(1);
        runtime.holdCreates(); // a runtime that hangs
        String id = store.enqueue(job("echo", "hi")).job().id();

        // given back without using up an attempt, each time its sandbox hangs, until the runtime is benched
        await().atMost(WAIT).until(() -> String.valueOf(agent.runtimes().getFirst().probe().reason())
                .contains(RuntimeHealth.FAILURES_TO_BENCH + " sandboxes in a row failed"));
        assertThat(logged("not made within 1 s")).as("why, in the agent's log").isTrue();
        Job waiting = awaitState(id, JobState.QUEUED);
        assertThat(waiting.attempt()).as("attempts used").isZero();
        assertThat(waiting.deliveries()).isEqualTo(RuntimeHealth.FAILURES_TO_BENCH);

        runtime.releaseCreates(); // the hung creates end: what they made is destroyed, and the job runs once benched no more
        assertThat(awaitState(id, JobState.SUCCEEDED).attempt()).isEqualTo(1);
        await().atMost(WAIT).until(() -> runtime.alive() == 0);
        assertThat(runtime.sandboxes()).as("the three late ones and the one that ran")
                .hasSize(RuntimeHealth.FAILURES_TO_BENCH + 1);
    }

    @Test
    void aSandboxStillBeingMadeForAJobGivenBackKeepsItsShareOfTheNodeUntilItIsDestroyed() {
        createTimeout = Duration.ofSeconds(5); // the share is held this long after the give-back at most
        start(1); // room for one job
        runtime.holdCreates();
        String id = store.enqueue(job("echo", "hi")).job().id();
        awaitState(id, JobState.STARTING);

        Job back = awaitState(id, JobState.QUEUED); // its create timed out: given back
        assertThat(back.deliveries()).isEqualTo(1);
        // it used to be leased again at once, the hung create's memory counted free
        await().during(Duration.ofMillis(1000)).atMost(WAIT).until(() -> store.get(id).orElseThrow().deliveries() == 1);
        assertThat(agent.runningJobs()).as("the share held for the sandbox being made").isEqualTo(1);

        runtime.releaseCreates(); // the late sandbox is made and destroyed: the room is free again
        assertThat(awaitState(id, JobState.SUCCEEDED).deliveries()).isEqualTo(2);
        assertThat(runtime.sandboxes().getFirst().destroyed()).isTrue();
    }

    @Test
    void aColdSandboxThatReplacesADeadWarmOneIsHeldToTheCreateTimeoutToo() {
        createTimeout = Duration.ofSeconds(1);
        var pool = new dev.hangar.core.pool.PoolSpec("p", FakePrestartingRuntime.NAME, null, 0.5, 128L, 1, 1, 300);
        start(1, PoolConfig.of(List.of(pool), 0));
        await().atMost(WAIT).until(() -> agent.pools().pools().getFirst().ready() == 1);
        runtime.killLaunchersOnExec(true);
        runtime.holdCreates(); // the runtime hangs as the job falls back to a cold sandbox
        String id = store.enqueue(job("echo", "hi")).job().id();

        // it used to wait for the hung create for ever, its lease renewed, the job SCHEDULED
        await().atMost(WAIT).until(() -> logged("not made within 1 s"));
        assertThat(awaitState(id, JobState.QUEUED).attempt()).as("attempts used").isZero();

        runtime.killLaunchersOnExec(false);
        runtime.releaseCreates();
        assertThat(awaitState(id, JobState.SUCCEEDED).attempt()).isEqualTo(1);
    }

    @Test
    void anAgentThatCannotReachTheQueueAsItStartsLeavesNoWarmSandboxBehind() {
        queueAway.set(true);
        var pool = new dev.hangar.core.pool.PoolSpec("p", FakePrestartingRuntime.NAME, null, 1.0, 256L, 2, 2, 300);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> start(8, PoolConfig.of(List.of(pool), 0)))
                .isInstanceOf(QueueException.class);
        agent = null;

        // without the close, the pool went on making and keeping its sandboxes
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> runtime.alive() == 0);
    }

    @Test
    void aRunWhoseStartTheQueueRefusesForALostLeaseIsStoppedAtOnce() {
        start();
        startsToRefuse.set(1);
        String id = store.enqueue(blocking()).job().id();

        // the store itself still holds the lease: no renewal would ever stop this run
        await().atMost(WAIT).until(() -> runtime.sandboxes().size() == 1 && runtime.sandboxes().getFirst().destroyed()
                && agent.runningJobs() == 0);
        assertThat(runtime.sandboxes().getFirst().execs()).isEqualTo(1);
        assertThat(store.get(id).orElseThrow().state()).as("nothing recorded by this run").isEqualTo(JobState.STARTING);
    }
}
