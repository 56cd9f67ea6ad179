package dev.hangar.queue.testkit;

import static dev.hangar.queue.testkit.TestJobs.retries;
import static dev.hangar.queue.testkit.TestJobs.selection;
import static dev.hangar.queue.testkit.TestJobs.spec;
import static dev.hangar.queue.testkit.TestJobs.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.StartPath;
import dev.hangar.core.job.Timings;
import dev.hangar.core.job.WorkloadProfile;
import dev.hangar.core.queue.Enqueued;
import dev.hangar.core.queue.JobPage;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.queue.LeaseStatus;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.queue.StartRecord;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.OutputSink.Stream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every queue backend must do, tested through the SPI alone so that each backend (SQLite,
 * Redis, ...) passes the very same tests. Extend it, open a fresh empty backend in {@link #open}
 * and say how to reopen the same storage in {@link #reopenAfterCrash}.
 *
 * <p>Time comes from {@link #clock}, which moves only when a test moves it, in whole
 * milliseconds: a backend may store instants to the millisecond.
 */
public abstract class QueueBackendContractTest {
    protected final MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    protected QueueBackend queue;

    /** A new backend over empty storage, reading time from {@code clock}. */
    protected abstract QueueBackend open(Clock clock);

    /**
     * Opens the storage of {@code running} anew, as a restarted process would after the old one
     * died. Take over {@code running}: close it (ideally after capturing its storage as a crash
     * would leave it, without a clean shutdown). A backend whose storage cannot outlive it should
     * call {@code Assumptions.abort("why")}.
     */
    protected abstract QueueBackend reopenAfterCrash(QueueBackend running, Clock clock);

    @BeforeEach
    final void openQueue() {
        queue = open(clock);
    }

    @AfterEach
    final void closeQueue() {
        if (queue != null) {
            queue.close();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    protected Job enqueue(JobSpec spec) {
        Enqueued enqueued = queue.enqueue(spec);
        assertThat(enqueued.created()).as("created").isTrue();
        return enqueued.job();
    }

    protected Job enqueue(String name) {
        return enqueue(spec(name));
    }

    /** The ids of {@code count} jobs named job-0, job-1, ..., enqueued in that order. */
    protected List<String> enqueueJobs(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(enqueue("job-" + i).id());
        }
        return ids;
    }

    protected Lease lease(String workerId) {
        return queue.lease(worker(workerId)).orElseThrow(() -> new AssertionError(workerId + " was given no job"));
    }

    protected Job reload(String jobId) {
        return queue.get(jobId).orElseThrow(() -> new AssertionError("job " + jobId + " is gone"));
    }

    /** Leases the next job and takes it to RUNNING, as an agent does. */
    protected Lease leaseAndRun(String workerId) {
        Lease lease = lease(workerId);
        assertThat(queue.starting(lease, "node-" + workerId, selection("process"))).as("starting").isTrue();
        assertThat(queue.running(lease)).as("running").isTrue();
        return lease;
    }

    /** Expires every lease taken with {@link TestJobs#LEASE} and requeues it. */
    protected int expireLeases() {
        clock.advance(TestJobs.LEASE.plusSeconds(1));
        return queue.requeueExpired();
    }

    private static List<String> ids(List<Job> jobs) {
        return jobs.stream().map(Job::id).toList();
    }

    private static List<String> describe(List<LogChunk> chunks) {
        return chunks.stream()
                .map(c -> c.seq() + "/" + c.attempt() + "/" + c.delivery() + "/" + c.stream() + "/"
                        + HexFormat.of().formatHex(c.data()))
                .toList();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // ---- enqueue and get ---------------------------------------------------------------------

    @Test
    void enqueueStoresAQueuedJobStampedByTheClock() {
        Instant now = clock.instant();
        Enqueued enqueued = queue.enqueue(spec("first"));

        Job job = enqueued.job();
        assertThat(enqueued.created()).isTrue();
        assertThat(job.id()).isNotBlank();
        assertThat(job.state()).isEqualTo(JobState.QUEUED);
        assertThat(job.attempt()).isZero();
        assertThat(job.deliveries()).isZero();
        assertThat(job.timings().submittedAt()).isEqualTo(now);
        assertThat(job.timings().scheduledAt()).isNull();
        assertThat(job.timings().finishedAt()).isNull();
        assertThat(job.node()).isNull();
        assertThat(job.runtime()).isNull();
        assertThat(job.exitCode()).isNull();
        assertThat(job.cancelRequested()).isFalse();
        assertThat(job.spec()).isEqualTo(spec("first"));
    }

    @Test
    void getReturnsTheJobAsEnqueued() {
        Job job = enqueue("first");
        assertThat(queue.get(job.id())).contains(job);
    }

    @Test
    void aPingAnswersWhileTheBackendServesAndChangesNothing() {
        Job job = enqueue("first");
        queue.ping();
        assertThat(queue.get(job.id())).contains(job);
        assertThat(queue.countByState().get(JobState.QUEUED)).isEqualTo(1);
    }

    @Test
    void getOfAnUnknownIdIsEmpty() {
        enqueue("first");
        assertThat(queue.get("no-such-job")).isEmpty();
    }

    @Test
    void everyJobGetsItsOwnId() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ids.add(enqueue("job-" + i).id());
        }
        assertThat(ids).doesNotHaveDuplicates().allSatisfy(id -> assertThat(id).isNotBlank());
    }

    @Test
    void theSpecRoundTripsExactly() {
        JobSpec spec = TestJobs.everyField();
        Job job = queue.enqueue(spec).job();

        assertThat(job.spec()).isEqualTo(spec);
        assertThat(reload(job.id()).spec()).isEqualTo(spec);
        assertThat(queue.list(JobQuery.all(10)).jobs()).singleElement()
                .satisfies(listed -> assertThat(listed.spec()).isEqualTo(spec));
        Lease lease = lease("w1");
        assertThat(lease.job().spec()).isEqualTo(spec);
    }

    @Test
    void aSpecWithOnlyDefaultsRoundTrips() {
        JobSpec spec = JobSpec.of("true");
        assertThat(reload(enqueue(spec).id()).spec()).isEqualTo(spec);
    }

    // ---- idempotency -------------------------------------------------------------------------

    @Test
    void aRepeatedIdempotencyKeyReturnsTheOriginalJob() {
        Job original = enqueue(spec().name("original").idempotencyKey("key-1").build());
        clock.advanceMillis(1000);

        Enqueued again = queue.enqueue(spec().name("again").command("false").idempotencyKey("key-1").build());

        assertThat(again.created()).isFalse();
        assertThat(again.job()).isEqualTo(original);
        assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(Job::id).containsExactly(original.id());
    }

    @Test
    void differentOrNoIdempotencyKeysMakeNewJobs() {
        Job a = enqueue(spec().idempotencyKey("key-a").build());
        Job b = enqueue(spec().idempotencyKey("key-b").build());
        Job c = enqueue(spec().build());
        Job d = enqueue(spec().build());
        assertThat(List.of(a.id(), b.id(), c.id(), d.id())).doesNotHaveDuplicates();
    }

    @Test
    void anIdempotencyKeyStillMatchesOnceTheJobIsFinal() {
        Job original = enqueue(spec().idempotencyKey("key-1").build());
        queue.cancel(original.id());

        Enqueued again = queue.enqueue(spec().idempotencyKey("key-1").build());

        assertThat(again.created()).isFalse();
        assertThat(again.job().id()).isEqualTo(original.id());
        assertThat(again.job().state()).isEqualTo(JobState.CANCELLED);
        assertThat(queue.lease(worker("w1"))).isEmpty();
    }

    @Test
    void eachTenantsIdempotencyKeysAreItsOwn() {
        Job ofA = enqueue(spec().idempotencyKey("key-1").tenant("team-a").build());
        Job ofB = enqueue(spec().idempotencyKey("key-1").tenant("team-b").build());
        Job ofNone = enqueue(spec().idempotencyKey("key-1").build());
        // an unscoped key that reads like a scoped one is still another key
        Job lookalike = enqueue(spec().idempotencyKey("team-a/key-1").build());

        assertThat(List.of(ofA.id(), ofB.id(), ofNone.id(), lookalike.id())).doesNotHaveDuplicates();
        Enqueued again = queue.enqueue(spec().idempotencyKey("key-1").tenant("team-b").build());
        assertThat(again.created()).isFalse();
        assertThat(again.job().id()).isEqualTo(ofB.id());
        assertThat(reload(ofB.id()).spec().tenant()).isEqualTo("team-b");
    }

    @Test
    void aJobIsFoundByItsIdempotencyKeyWithinItsTenantWhileItIsKept() {
        Job original = enqueue(spec().idempotencyKey("key-1").tenant("team-a").build());
        queue.cancel(original.id());

        // any spec with the key finds it: whether it repeats the submit is the caller's to judge
        assertThat(queue.findByIdempotencyKey(spec().command("false").idempotencyKey("key-1").tenant("team-a").build()))
                .hasValueSatisfying(job -> {
                    assertThat(job.id()).isEqualTo(original.id());
                    assertThat(job.state()).isEqualTo(JobState.CANCELLED);
                });
        assertThat(queue.findByIdempotencyKey(spec().idempotencyKey("key-1").tenant("team-b").build())).isEmpty();
        assertThat(queue.findByIdempotencyKey(spec().idempotencyKey("key-1").build())).isEmpty();
        assertThat(queue.findByIdempotencyKey(spec().idempotencyKey("key-2").tenant("team-a").build())).isEmpty();
        assertThat(queue.findByIdempotencyKey(spec().tenant("team-a").build())).isEmpty();
    }

    @Test
    void concurrentSubmitsWithOneKeyMakeOneJob() throws Exception {
        List<Enqueued> results = new CopyOnWriteArrayList<>();
        runConcurrently(8, worker -> () -> {
            results.add(queue.enqueue(spec().idempotencyKey("same-key").build()));
            return null;
        });
        assertThat(results).hasSize(8);
        assertThat(results).filteredOn(Enqueued::created).hasSize(1);
        assertThat(results).extracting(e -> e.job().id()).containsOnly(results.get(0).job().id());
        assertThat(queue.list(JobQuery.all(10)).jobs()).hasSize(1);
    }

    // ---- lease -------------------------------------------------------------------------------

    @Test
    void aLeaseSchedulesTheJobForItsWorker() {
        Job job = enqueue("first");
        clock.advanceMillis(1500);
        Instant leasedAt = clock.instant();

        Lease lease = lease("w1");

        assertThat(lease.jobId()).isEqualTo(job.id());
        assertThat(lease.workerId()).isEqualTo("w1");
        assertThat(lease.token()).isNotBlank();
        assertThat(lease.job().id()).isEqualTo(job.id());
        assertThat(lease.job().state()).isEqualTo(JobState.SCHEDULED);
        Job stored = reload(job.id());
        assertThat(stored.state()).isEqualTo(JobState.SCHEDULED);
        assertThat(stored.attempt()).isEqualTo(1);
        assertThat(stored.deliveries()).isEqualTo(1);
        assertThat(stored.timings().submittedAt()).isEqualTo(job.timings().submittedAt());
        assertThat(stored.timings().scheduledAt()).isEqualTo(leasedAt);
        assertThat(stored.timings().queued()).isEqualTo(Duration.ofMillis(1500));
        assertThat(lease.job()).isEqualTo(stored);
    }

    @Test
    void anEmptyQueueLeasesNothing() {
        assertThat(queue.lease(worker("w1"))).isEmpty();
    }

    @Test
    void aLeasedJobIsNotLeasedAgain() {
        enqueue("only");
        Lease first = lease("w1");
        assertThat(queue.lease(worker("w1"))).isEmpty();
        assertThat(queue.lease(worker("w2"))).isEmpty();
        assertThat(reload(first.jobId()).deliveries()).isEqualTo(1);
    }

    @Test
    void leasesGoByPriorityThenOldestFirst() {
        // all submitted at the same instant: the order must come from submission, not the clock
        Job a = enqueue(spec("a", 5));
        Job b = enqueue(spec("b", 9));
        Job c = enqueue(spec("c", 5));
        Job d = enqueue(spec("d", 0));
        Job e = enqueue(spec("e", 9));
        Job f = enqueue(spec("f", 6));

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            order.add(lease("w1").jobId());
        }

        assertThat(order).containsExactly(b.id(), e.id(), f.id(), a.id(), c.id(), d.id());
    }

    @Test
    void fifoHoldsOverManyJobs() {
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            submitted.add(enqueue("job-" + i).id());
            if (i % 3 == 0) {
                clock.advanceMillis(1);
            }
        }
        List<String> leased = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            leased.add(lease("w1").jobId());
        }
        assertThat(leased).containsExactlyElementsOf(submitted);
    }

    @Test
    void eachLeaseHasItsOwnToken() {
        enqueue("a");
        enqueue("b");
        assertThat(lease("w1").token()).isNotEqualTo(lease("w1").token());
    }

    @Test
    void aJobThatNeedsMoreCpusThanOfferedIsSkipped() {
        Job big = enqueue(spec().name("big").resources(TestJobs.resources(8, 512, 0)).build());
        Job small = enqueue(spec().name("small").resources(TestJobs.resources(2, 512, 0)).build());

        Lease lease = queue.lease(worker("w1", 2, 1024, 0)).orElseThrow();

        assertThat(lease.jobId()).isEqualTo(small.id());
        assertThat(reload(big.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(queue.lease(worker("w1", 4, 1024, 0))).isEmpty();
        assertThat(queue.lease(worker("w2", 8, 1024, 0)).orElseThrow().jobId()).isEqualTo(big.id());
    }

    @Test
    void aJobThatNeedsMoreMemoryThanOfferedIsSkipped() {
        Job big = enqueue(spec().name("big").resources(TestJobs.resources(1, 4096, 0)).build());
        Job small = enqueue(spec().name("small").resources(TestJobs.resources(1, 256, 0)).build());

        assertThat(queue.lease(worker("w1", 16, 4095, 0)).orElseThrow().jobId()).isEqualTo(small.id());
        assertThat(queue.lease(worker("w1", 16, 4095, 0))).isEmpty();
        assertThat(queue.lease(worker("w2", 16, 4096, 0)).orElseThrow().jobId()).isEqualTo(big.id());
    }

    @Test
    void aJobThatNeedsMoreGpusThanOfferedIsSkipped() {
        Job gpu = enqueue(spec().name("gpu").resources(TestJobs.resources(1, 512, 2)).priority(9).build());
        Job plain = enqueue(spec().name("plain").resources(TestJobs.resources(1, 512, 0)).build());

        assertThat(queue.lease(worker("w1", 16, 8192, 1)).orElseThrow().jobId()).isEqualTo(plain.id());
        assertThat(queue.lease(worker("w1", 16, 8192, 1))).isEmpty();
        assertThat(queue.lease(worker("w2", 16, 8192, 2)).orElseThrow().jobId()).isEqualTo(gpu.id());
    }

    @Test
    void aWorkerWithGpusTakesTheMostUrgentJobThatFitsWhetherItNeedsThemOrNot() {
        Job gpuLow = enqueue(spec().name("gpu-low").resources(TestJobs.resources(1, 512, 1)).priority(1).build());
        Job gpuFirst = enqueue(spec().name("gpu-first").resources(TestJobs.resources(1, 512, 1)).priority(5).build());
        Job plainSecond = enqueue(spec().name("plain-second").resources(TestJobs.resources(1, 512, 0)).priority(5).build());
        Job gpuHigh = enqueue(spec().name("gpu-high").resources(TestJobs.resources(1, 512, 1)).priority(9).build());

        Lease high = queue.lease(worker("g1", 16, 8192, 1)).orElseThrow();
        assertThat(high.jobId()).as("the highest priority").isEqualTo(gpuHigh.id());
        queue.giveBack(high, "sandbox failed");
        assertThat(queue.lease(worker("c1", 16, 8192, 0)).orElseThrow().jobId()).as("without GPUs")
                .isEqualTo(plainSecond.id());
        assertThat(queue.lease(worker("g1", 16, 8192, 1)).orElseThrow().jobId()).as("given back, first again")
                .isEqualTo(gpuHigh.id());
        assertThat(queue.lease(worker("g2", 16, 8192, 1)).orElseThrow().jobId()).isEqualTo(gpuFirst.id());
        assertThat(queue.lease(worker("c2", 16, 8192, 0))).as("nothing left without GPUs").isEmpty();
        assertThat(queue.lease(worker("g3", 16, 8192, 1)).orElseThrow().jobId()).isEqualTo(gpuLow.id());
    }

    @Test
    void withinAPriorityJobsGoInSubmitOrderWhetherTheyNeedGpusOrNot() {
        Job gpu = enqueue(spec().name("gpu").resources(TestJobs.resources(1, 512, 1)).build());
        Job plain = enqueue(spec().name("plain").resources(TestJobs.resources(1, 512, 0)).build());

        assertThat(queue.lease(worker("g1", 16, 8192, 1)).orElseThrow().jobId()).isEqualTo(gpu.id());
        assertThat(queue.lease(worker("g1", 16, 8192, 1)).orElseThrow().jobId()).isEqualTo(plain.id());
    }

    @Test
    void withinAPriorityAWorkerWithGpusTakesAnEarlierPlainJobBeforeALaterGpuJob() {
        Job plain = enqueue(spec().name("plain").resources(TestJobs.resources(1, 512, 0)).build());
        Job gpu = enqueue(spec().name("gpu").resources(TestJobs.resources(1, 512, 1)).build());

        // a backend whose GPU workers looked at the GPU jobs first would pass the test above
        assertThat(queue.lease(worker("g1", 16, 8192, 1)).orElseThrow().jobId()).isEqualTo(plain.id());
        assertThat(queue.lease(worker("g1", 16, 8192, 1)).orElseThrow().jobId()).isEqualTo(gpu.id());
    }

    @Test
    void aRetriedJobKeepsItsPlaceInLineOnceItsBackoffIsOver() {
        Job retried = enqueue(spec().name("retried").priority(5).retry(retries(2, 1.0)).build());
        Lease first = leaseAndRun("w1");
        assertThat(queue.finish(first, Outcome.failed(1, "exit code 1", false)).orElseThrow().state())
                .isEqualTo(JobState.QUEUED);
        Job later = enqueue(spec().name("later").priority(5).build());
        Job lower = enqueue(spec().name("lower").priority(4).build());

        assertThat(queue.lease(worker("w2")).orElseThrow().jobId()).as("during the backoff").isEqualTo(later.id());
        clock.advanceMillis(1_101); // past the backoff, drawn up to a tenth longer
        Job third = enqueue(spec().name("third").priority(5).build());
        // neither sent to the back of the line (a fresh submit order) nor below its priority
        assertThat(queue.lease(worker("w3")).orElseThrow().jobId()).isEqualTo(retried.id());
        assertThat(queue.lease(worker("w4")).orElseThrow().jobId()).isEqualTo(third.id());
        assertThat(queue.lease(worker("w5")).orElseThrow().jobId()).isEqualTo(lower.id());
    }

    @Test
    void aJobThatNeedsAGpuWithoutCountingThemGoesOnlyToAWorkerWithOne() {
        Job job = enqueue(spec().profile(new WorkloadProfile(null, new Needs(true, null, null, null), null, null)).build());
        assertThat(queue.lease(worker("w1", 64, 4096, 0))).isEmpty();
        assertThat(queue.lease(worker("w2", 64, 4096, 1)).orElseThrow().jobId()).isEqualTo(job.id());
    }

    @Test
    void aJobThatExactlyFillsTheRoomFits() {
        Job job = enqueue(spec().resources(TestJobs.resources(1.5, 768, 1)).build());
        assertThat(queue.lease(worker("w1", 1.5, 768, 1)).orElseThrow().jobId()).isEqualTo(job.id());
    }

    @Test
    void aJobPinnedToARuntimeTheWorkerLacksIsLeftForAnotherWorker() {
        Job pinned = enqueue(spec().runtime("gvisor").build());
        Job any = enqueue(spec().build());
        assertThat(queue.lease(worker("w1", Set.of("process", "podman"), Set.of())).orElseThrow().jobId())
                .isEqualTo(any.id());
        assertThat(queue.lease(worker("w1", Set.of("process", "podman"), Set.of()))).isEmpty();
        assertThat(queue.lease(worker("w2", Set.of("process", "gvisor"), Set.of("gvisor"))).orElseThrow().jobId())
                .isEqualTo(pinned.id());
    }

    @Test
    void untrustedCodeGoesOnlyToAWorkerWithAKernelBoundary() {
        Job untrusted = enqueue(spec().untrusted().build());
        assertThat(queue.lease(worker("w1", Set.of("process", "podman"), Set.of()))).isEmpty();
        assertThat(queue.lease(worker("w2", Set.of("process", "gvisor"), Set.of("gvisor"))).orElseThrow().jobId())
                .isEqualTo(untrusted.id());
    }

    @Test
    void untrustedCodePinnedToAProcessRuntimeFitsNoWorker() {
        enqueue(spec().untrusted().runtime("process").build());
        assertThat(queue.lease(worker("w1", Set.of("process", "gvisor"), Set.of("gvisor")))).isEmpty();
    }

    @Test
    void aJobBelowTheMemoryFloorOfEveryRuntimeItMayRunOnIsLeftForAWorkerWhoseRuntimeTakesIt() {
        // untrusted: a kernel boundary only; 64 MiB is below kata's floor (128) and above gvisor's (32)
        Job untrusted = enqueue(spec().untrusted().resources(TestJobs.resources(1, 64, 0)).build());
        Job small = enqueue(spec().resources(TestJobs.resources(1, 16, 0)).build());
        LeaseRequest kataOnly = worker("w1", Set.of("kata"), Set.of("kata")).withMemoryFloors(Map.of("kata", 128L));
        assertThat(queue.lease(kataOnly)).as("each job is below kata's floor").isEmpty();
        LeaseRequest gvisorAndProcess = worker("w2", Set.of("process", "gvisor"), Set.of("gvisor"))
                .withMemoryFloors(Map.of("gvisor", 32L));
        assertThat(queue.lease(gvisorAndProcess).orElseThrow().jobId()).isEqualTo(untrusted.id());
        assertThat(queue.lease(gvisorAndProcess).orElseThrow().jobId()).as("on process, which has no floor")
                .isEqualTo(small.id());
    }

    @Test
    void aWorkerThatDoesNotNameItsRuntimesTakesAnyJob() {
        Job pinned = enqueue(spec().untrusted().runtime("kata").build());
        assertThat(queue.lease(worker("w1")).orElseThrow().jobId()).isEqualTo(pinned.id());
    }

    @Test
    void aJobThatNeedsANetworkIsLeftForAWorkerThatGivesOne() {
        Job networked = enqueue(spec().profile(new WorkloadProfile(null, new Needs(null, null, null, true), null, null))
                .build());
        Job closed = enqueue(spec().build());
        LeaseRequest noNetwork = worker("w1", Set.of("process"), Set.of()).offering(Set.of(), Set.of());
        assertThat(queue.lease(noNetwork).orElseThrow().jobId()).isEqualTo(closed.id());
        assertThat(queue.lease(noNetwork)).isEmpty();
        assertThat(queue.lease(worker("w2", Set.of("process"), Set.of()).offering(Set.of("process"), Set.of()))
                .orElseThrow().jobId()).isEqualTo(networked.id());
    }

    @Test
    void aJobThatNeedsANetworkGoesOnlyWhereTheRuntimeItMayRunOnGivesOne() {
        Needs network = new Needs(null, null, null, true);
        Job pinnedToProcess = enqueue(spec().runtime("process").profile(new WorkloadProfile(null, network, null, null))
                .build());
        Job untrusted = enqueue(spec().profile(new WorkloadProfile(null, network, null, null)).untrusted().build());
        Job anyRuntime = enqueue(spec().profile(new WorkloadProfile(null, network, null, null)).build());
        // the network is on podman only, the kernel boundary on gvisor only
        LeaseRequest podmanGivesIt = worker("w1", Set.of("process", "podman", "gvisor"), Set.of("gvisor"))
                .offering(Set.of("podman"), Set.of());
        assertThat(queue.lease(podmanGivesIt).orElseThrow().jobId()).isEqualTo(anyRuntime.id());
        assertThat(queue.lease(podmanGivesIt)).isEmpty();

        LeaseRequest gvisorAndProcessGiveIt = worker("w2", Set.of("process", "gvisor"), Set.of("gvisor"))
                .offering(Set.of("process", "gvisor"), Set.of());
        assertThat(queue.lease(gvisorAndProcessGiveIt).orElseThrow().jobId()).isEqualTo(pinnedToProcess.id());
        assertThat(queue.lease(gvisorAndProcessGiveIt).orElseThrow().jobId()).isEqualTo(untrusted.id());
    }

    @Test
    void aGpuJobGoesOnlyWhereARuntimeItMayRunOnPassesGpusThrough() {
        Needs gpu = new Needs(true, null, null, null);
        Job counted = enqueue(spec().resources(TestJobs.resources(1, 256, 1)).build());
        Job untrusted = enqueue(spec().profile(new WorkloadProfile(null, gpu, null, null)).untrusted().build());
        Job plain = enqueue(spec().build());
        // GPUs on the node, but only podman passes them through, and the kernel boundary is gvisor's
        LeaseRequest podmanPassesThem = worker("w1", Set.of("process", "podman", "gvisor"), Set.of("gvisor"))
                .passingGpusOn(Set.of("podman"));
        assertThat(queue.lease(podmanPassesThem).orElseThrow().jobId()).isEqualTo(counted.id());
        assertThat(queue.lease(podmanPassesThem).orElseThrow().jobId()).as("not the untrusted GPU job").isEqualTo(plain.id());
        assertThat(queue.lease(podmanPassesThem)).isEmpty();
        assertThat(queue.lease(worker("w2", Set.of("process", "gvisor"), Set.of("gvisor")).passingGpusOn(Set.of())))
                .as("a node whose runtimes pass no GPU through").isEmpty();

        LeaseRequest kataPassesThem = worker("w3", Set.of("process", "kata"), Set.of("kata")).passingGpusOn(Set.of("kata"));
        assertThat(queue.lease(kataPassesThem).orElseThrow().jobId()).isEqualTo(untrusted.id());
    }

    @Test
    void aJobOfAnImageTheWorkerLacksIsLeftForOneThatHasIt() {
        Job debian = enqueue(spec().image("debian").build());
        Job anyImage = enqueue(spec().build());
        Job busybox = enqueue(spec().image("busybox").build());
        LeaseRequest busyboxOnly = worker("w1").offering(Set.of(), Set.of("busybox"));
        assertThat(queue.lease(busyboxOnly).orElseThrow().jobId()).isEqualTo(anyImage.id());
        assertThat(queue.lease(busyboxOnly).orElseThrow().jobId()).isEqualTo(busybox.id());
        assertThat(queue.lease(busyboxOnly)).isEmpty();
        assertThat(queue.lease(worker("w2").offering(Set.of(), Set.of("busybox", "debian"))).orElseThrow().jobId())
                .isEqualTo(debian.id());
    }

    @Test
    void aJobWhoseMountsTheWorkerDoesNotAllowIsLeftForOneThatDoes() {
        Job data = enqueue(spec().mounts(List.of(new Mount("/srv/data/set1", "/data", true),
                new Mount("/scratch/../srv/models", "/models", true))).build());
        Job dataOnly = enqueue(spec().mounts(List.of(new Mount("/srv/data", "/data", false))).build());
        Job none = enqueue(spec().build());
        LeaseRequest dataRoot = worker("w1").mountingUnder(Set.of("/srv/data", "/srv/dataset"));
        assertThat(queue.lease(dataRoot).orElseThrow().jobId()).isEqualTo(dataOnly.id());
        assertThat(queue.lease(dataRoot).orElseThrow().jobId()).isEqualTo(none.id());
        assertThat(queue.lease(worker("w2").mountingUnder(Set.of("/srv/data/set1", "/srv/model")))).isEmpty();
        assertThat(queue.lease(worker("w3").mountingUnder(Set.of()))).as("a worker that allows no mounts").isEmpty();
        assertThat(queue.lease(worker("w4").mountingUnder(Set.of("/srv/data/", "/srv/models"))).orElseThrow().jobId())
                .as("a path is matched with its '..' resolved, a root without its trailing '/'").isEqualTo(data.id());
    }

    @Test
    void aJobWhoseMountPathIsNotAnAbsolutePathFitsAnyWorkerToBeRefusedThere() {
        Job relative = enqueue(spec().mounts(List.of(new Mount("/srv/data", "/data", true),
                new Mount("data/set1", "/set1", true))).build());
        assertThat(queue.lease(worker("w1").mountingUnder(Set.of("/home"))).orElseThrow().jobId())
                .isEqualTo(relative.id());
    }

    @Test
    void aJobThatSelectsNodesByLabelIsLeftForANodeThatHasEachLabelWithItsValue() {
        Job a100 = enqueue(spec().priority(9).nodeSelector("gpu-model", "a100").nodeSelector("zone", "r1").build());
        Job l4 = enqueue(spec().priority(8).nodeSelector("gpu-model", "l4").build());
        Job any = enqueue(spec().build());
        assertThat(queue.lease(worker("bare")).orElseThrow().jobId())
                .as("a worker without labels takes the job behind those that select by label").isEqualTo(any.id());
        assertThat(queue.lease(worker("bare"))).isEmpty();
        assertThat(queue.lease(worker("w1").labelled(Map.of("gpu-model", "a100", "zone", "r2"))))
                .as("one label of two, and another value of the other").isEmpty();
        Lease onL4 = queue.lease(worker("w2", Set.of("process"), Set.of())
                .labelled(Map.of("gpu-model", "l4", "zone", "r1", "rack", "7"))).orElseThrow();
        assertThat(onL4.jobId()).isEqualTo(l4.id());
        assertThat(onL4.job().spec().nodeSelector()).isEqualTo(Map.of("gpu-model", "l4"));
        assertThat(queue.lease(worker("w3").labelled(Map.of("zone", "r1", "gpu-model", "a100"))).orElseThrow().jobId())
                .isEqualTo(a100.id());
    }

    @Test
    void aWorkerThatDoesNotSayWhatItHasTakesAJobThatNeedsANetworkAnImageAndAMount() {
        Job job = enqueue(spec().image("debian").mounts(List.of(new Mount("/srv/data", "/data", true)))
                .profile(new WorkloadProfile(null, new Needs(null, null, null, true), null, null)).build());
        assertThat(queue.lease(worker("w1")).orElseThrow().jobId()).isEqualTo(job.id());
    }

    // ---- starting, running -------------------------------------------------------------------

    @Test
    void aLeasedJobNamesItsWorkersNodeBeforeItStartsAndNoneOnceGivenBack() {
        Job job = enqueue("first");
        Lease lease = lease("node-3");

        assertThat(lease.job().node()).as("the lease's view").isEqualTo("node-3");
        Job held = reload(job.id());
        assertThat(held.state()).isEqualTo(JobState.SCHEDULED);
        assertThat(held.node()).isEqualTo("node-3");
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.SCHEDULED), null, 10, null, "node-3")).jobs()))
                .containsExactly(job.id());
        assertThat(queue.list(new JobQuery(Set.of(), null, 10, null, "node-4")).jobs()).isEmpty();

        assertThat(queue.giveBack(lease, "no sandbox").orElseThrow().node()).as("given back").isNull();
        lease("node-4");
        assertThat(reload(job.id()).node()).as("leased again").isEqualTo("node-4");
    }

    @Test
    void startingRecordsNodeRuntimeAndSelection() {
        Job job = enqueue("first");
        Lease lease = lease("w1");
        clock.advanceMillis(200);

        assertThat(queue.starting(lease, "node-7", selection("gvisor"))).isTrue();

        Job starting = reload(job.id());
        assertThat(starting.state()).isEqualTo(JobState.STARTING);
        assertThat(starting.node()).isEqualTo("node-7");
        assertThat(starting.runtime()).isEqualTo("gvisor");
        assertThat(starting.selection()).isEqualTo(selection("gvisor"));
        assertThat(starting.timings().startingAt()).isEqualTo(clock.instant());

        clock.advanceMillis(300);
        assertThat(queue.running(lease)).isTrue();

        Job running = reload(job.id());
        assertThat(running.state()).isEqualTo(JobState.RUNNING);
        assertThat(running.timings().runningAt()).isEqualTo(clock.instant());
        assertThat(running.timings().start()).isEqualTo(Duration.ofMillis(500));
        assertThat(running.selection()).isEqualTo(selection("gvisor"));
    }

    @Test
    void runningRecordsHowTheSandboxWasHad() {
        Job job = enqueue("first");
        Instant created = clock.instant().minusSeconds(30);
        Instant ready = clock.instant().minusSeconds(29);
        Lease lease = lease("w1");
        assertThat(queue.starting(lease, "node-7", selection("process"))).isTrue();
        clock.advanceMillis(2);

        assertThat(queue.running(lease, new StartRecord(StartPath.WARM, ready, "sandbox-1", created))).isTrue();

        Timings timings = reload(job.id()).timings();
        assertThat(timings.path()).isEqualTo(StartPath.WARM);
        assertThat(timings.sandboxReadyAt()).isEqualTo(ready);
        assertThat(timings.sandboxId()).isEqualTo("sandbox-1");
        assertThat(timings.sandboxCreatedAt()).isEqualTo(created).isBefore(timings.submittedAt());
        assertThat(timings.runningAt()).isEqualTo(clock.instant());
        assertThat(timings.sandboxReadyToRunning()).isEqualTo(Duration.between(ready, clock.instant()));
    }

    @Test
    void aNewAttemptForgetsTheSandboxOfTheLastOne() {
        Job job = enqueue(spec("first").toBuilder().retry(retries(2, 0)).build());
        Lease lease = lease("w1");
        queue.starting(lease, "node-1", selection("process"));
        queue.running(lease, new StartRecord(StartPath.COLD, clock.instant(), "sandbox-1", clock.instant()));
        assertThat(queue.finish(lease, Outcome.failed(1, "exited with code 1", false))).isPresent();

        Lease second = lease("w1");

        Timings timings = reload(job.id()).timings();
        assertThat(second.job().attempt()).isEqualTo(2);
        assertThat(timings.path()).isNull();
        assertThat(timings.sandboxId()).isNull();
        assertThat(timings.sandboxReadyAt()).isNull();
        assertThat(timings.sandboxCreatedAt()).isNull();
    }

    @Test
    void aStartWithoutARecordLeavesTheSandboxUnknown() {
        Job job = enqueue("first");
        leaseAndRun("w1");

        Timings timings = reload(job.id()).timings();
        assertThat(timings.runningAt()).isNotNull();
        assertThat(timings.path()).isNull();
        assertThat(timings.sandboxReadyAt()).isNull();
    }

    @Test
    void aForgedLeaseCannotStartOrRun() {
        Job job = enqueue("first");
        Lease real = lease("w1");
        Lease forged = new Lease(job.id(), "not-the-token", "w1", real.job());

        assertThat(queue.starting(forged, "node-1", selection("process"))).isFalse();
        assertThat(queue.running(forged)).isFalse();
        assertThat(queue.renew(forged)).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.finish(forged, Outcome.succeeded(0, false))).isEmpty();
        assertThat(reload(job.id())).isEqualTo(real.job());
    }

    @Test
    void runningBeforeStartingIsRefused() {
        Job job = enqueue("first");
        Lease lease = lease("w1");

        assertThat(queue.running(lease)).isFalse();
        assertThat(reload(job.id()).state()).isEqualTo(JobState.SCHEDULED);
    }

    @Test
    void startingOrRunningTwiceIsRefused() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");

        assertThat(queue.starting(lease, "node-2", selection("gvisor"))).isFalse();
        assertThat(queue.running(lease)).isFalse();
        Job stored = reload(job.id());
        assertThat(stored.state()).isEqualTo(JobState.RUNNING);
        assertThat(stored.node()).isEqualTo("node-w1");
    }

    // ---- finish ------------------------------------------------------------------------------

    @Test
    void aSuccessIsRecorded() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");
        clock.advanceMillis(4000);

        Optional<Job> finished = queue.finish(lease, Outcome.succeeded(0, true));

        assertThat(finished).isPresent();
        Job stored = reload(job.id());
        assertThat(finished).contains(stored);
        assertThat(stored.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(stored.isFinal()).isTrue();
        assertThat(stored.exitCode()).isZero();
        assertThat(stored.outputTruncated()).isTrue();
        assertThat(stored.timings().finishedAt()).isEqualTo(clock.instant());
        assertThat(stored.timings().run()).isEqualTo(Duration.ofSeconds(4));
        assertThat(stored.attempt()).isEqualTo(1);
        assertThat(queue.lease(worker("w1"))).isEmpty();
    }

    @Test
    void aSecondFinishIsRefused() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");
        assertThat(queue.finish(lease, Outcome.succeeded(0, false))).isPresent();
        Job finished = reload(job.id());

        assertThat(queue.finish(lease, Outcome.failed(1, "late", false))).isEmpty();
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.LOST);
        assertThat(reload(job.id())).isEqualTo(finished);
    }

    @Test
    void aStaleLeaseIsFencedOff() {
        // each stale write below is one the job's state would allow: only the token refuses it
        Job job = enqueue("first");
        Lease stale = leaseAndRun("w1");
        assertThat(expireLeases()).isEqualTo(1);
        Lease current = lease("w2");
        assertThat(current.jobId()).isEqualTo(job.id());
        assertThat(current.token()).isNotEqualTo(stale.token());

        assertThat(queue.starting(stale, "node-w1", selection("process"))).isFalse();
        assertThat(queue.renew(stale)).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.starting(current, "node-w2", selection("gvisor"))).isTrue();
        assertThat(queue.running(stale)).isFalse();
        assertThat(reload(job.id()).state()).isEqualTo(JobState.STARTING);
        assertThat(queue.running(current)).isTrue();
        Job before = reload(job.id());

        assertThat(queue.finish(stale, Outcome.succeeded(0, false))).isEmpty();
        assertThat(queue.finish(stale, Outcome.failed(1, "stale", false))).isEmpty();
        assertThat(queue.finish(stale, Outcome.cancelled("stale"))).isEmpty();
        assertThat(queue.renew(stale)).isEqualTo(LeaseStatus.LOST);
        assertThat(reload(job.id())).isEqualTo(before);

        assertThat(queue.renew(current)).isEqualTo(LeaseStatus.HELD);
        assertThat(queue.finish(current, Outcome.succeeded(0, false))).hasValueSatisfying(j -> {
            assertThat(j.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(j.node()).isEqualTo("node-w2");
            assertThat(j.runtime()).isEqualTo("gvisor");
        });
    }

    @Test
    void concurrentFinishesOfOneLeaseRecordOnce() throws Exception {
        enqueue("first");
        Lease lease = leaseAndRun("w1");
        List<Optional<Job>> results = new CopyOnWriteArrayList<>();

        runConcurrently(8, worker -> () -> {
            results.add(queue.finish(lease, worker % 2 == 0 ? Outcome.succeeded(0, false) : Outcome.failed(1, "x", false)));
            return null;
        });

        assertThat(results).hasSize(8);
        assertThat(results).filteredOn(Optional::isPresent).hasSize(1);
        // what is kept is the one finish that was told it recorded: no other wrote over it
        Job recorded = results.stream().flatMap(Optional::stream).findFirst().orElseThrow();
        assertThat(recorded.state()).isIn(JobState.SUCCEEDED, JobState.FAILED);
        assertThat(reload(lease.jobId())).isEqualTo(recorded);
    }

    @Test
    void successBeforeTheProcessRanIsRefused() {
        // SCHEDULED may not move to SUCCEEDED: only a job that ran can succeed
        Job job = enqueue("first");
        Lease lease = lease("w1");

        assertThat(queue.finish(lease, Outcome.succeeded(0, false))).isEmpty();
        assertThat(reload(job.id()).state()).isEqualTo(JobState.SCHEDULED);
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.HELD);
    }

    // ---- started, finishAndLease (the warm agent's calls) ------------------------------------

    /** What the job shows of its start, to compare a one-step start with a two-step one. */
    private static List<Object> startOf(Job job) {
        Timings t = job.timings();
        return java.util.Arrays.asList(job.state(), job.node(), job.runtime(), job.selection(), job.attempt(),
                job.deliveries(), t.scheduledAt(), t.startingAt(), t.runningAt(), t.path(), t.sandboxReadyAt(),
                t.sandboxId(), t.sandboxCreatedAt(), job.exitCode(), job.error(), job.outputTruncated());
    }

    /** What the job shows of its end, to compare finishAndLease with finish (durations, not instants). */
    private static List<Object> endOf(Job job) {
        Timings t = job.timings();
        return java.util.Arrays.asList(job.state(), job.exitCode(), job.error(), job.outputTruncated(), job.attempt(),
                job.deliveries(), job.node(), job.runtime(), Duration.between(t.startingAt(), t.finishedAt()), t.run(),
                t.path(), t.sandboxId(), job.cancelRequested());
    }

    @Test
    void startedRecordsWhatStartingAndRunningRecord() {
        Job twoStep = enqueue("two-step");
        Job oneStep = enqueue("one-step");
        Instant ready = clock.instant().minusSeconds(5);
        StartRecord warm = new StartRecord(StartPath.WARM, ready, "sandbox-1", ready.minusSeconds(1));
        Lease first = lease("w1");
        Lease second = lease("w1");
        assertThat(first.jobId()).isEqualTo(twoStep.id());
        clock.advanceMillis(100);

        assertThat(queue.starting(first, "node-7", selection("gvisor"))).isTrue();
        assertThat(queue.running(first, warm)).isTrue();
        assertThat(queue.started(second, "node-7", selection("gvisor"), warm)).isTrue();

        Job stored = reload(oneStep.id());
        assertThat(stored.state()).isEqualTo(JobState.RUNNING);
        assertThat(stored.timings().startingAt()).isEqualTo(clock.instant());
        assertThat(stored.timings().runningAt()).isEqualTo(clock.instant());
        assertThat(stored.timings().sandboxReadyToRunning()).isEqualTo(Duration.ofMillis(5100));
        assertThat(startOf(stored)).isEqualTo(startOf(reload(twoStep.id())));
    }

    @Test
    void startedWithoutARecordLeavesTheSandboxUnknown() {
        Job job = enqueue("first");
        Lease lease = lease("w1");

        assertThat(queue.started(lease, "node-1", selection("process"), null)).isTrue();

        Job stored = reload(job.id());
        assertThat(stored.state()).isEqualTo(JobState.RUNNING);
        assertThat(stored.node()).isEqualTo("node-1");
        assertThat(stored.timings().runningAt()).isEqualTo(clock.instant());
        assertThat(stored.timings().path()).isNull();
        assertThat(stored.timings().sandboxId()).isNull();
        assertThat(queue.finish(lease, Outcome.succeeded(0, false))).isPresent();
    }

    @Test
    void startingAndStartedWithoutASelectionLeaveTheRuntimeUnknown() {
        Job first = enqueue("first");
        Job second = enqueue("second");
        Lease one = lease("w1");
        Lease two = lease("w1");

        assertThat(queue.starting(one, "node-1", null)).isTrue();
        assertThat(queue.started(two, "node-1", null, null)).isTrue();

        assertThat(List.of(reload(first.id()), reload(second.id()))).allSatisfy(job -> {
            assertThat(job.runtime()).isNull();
            assertThat(job.selection()).isNull();
            assertThat(job.node()).isEqualTo("node-1");
        });
    }

    @Test
    void startedIsFencedAndOnlyFromScheduled() {
        StartRecord warm = new StartRecord(StartPath.WARM, clock.instant(), "sandbox-1", clock.instant());
        Job job = enqueue("first");
        Lease stale = lease("w1");
        Lease forged = new Lease(job.id(), "not-the-token", "w1", stale.job());
        assertThat(queue.started(forged, "node-1", selection("process"), warm)).isFalse();
        assertThat(reload(job.id())).isEqualTo(stale.job());

        assertThat(expireLeases()).isEqualTo(1);
        Lease current = lease("w2");
        assertThat(queue.started(stale, "node-w1", selection("process"), warm)).isFalse();
        assertThat(reload(job.id())).isEqualTo(current.job());

        assertThat(queue.starting(current, "node-w2", selection("gvisor"))).isTrue();
        assertThat(queue.started(current, "node-w2", selection("gvisor"), warm)).as("from STARTING").isFalse();
        assertThat(queue.running(current)).isTrue();
        assertThat(queue.started(current, "node-w2", selection("gvisor"), warm)).as("from RUNNING").isFalse();
        Job stored = reload(job.id());
        assertThat(stored.state()).isEqualTo(JobState.RUNNING);
        assertThat(stored.timings().path()).isNull();
    }

    @Test
    void finishAndLeaseRecordsWhatFinishRecordsAndLeasesTheNextJob() {
        Job viaFinish = enqueue("via-finish");
        Job viaFinishAndLease = enqueue("via-finish-and-lease");
        Job next = enqueue("next");
        StartRecord warm = new StartRecord(StartPath.WARM, clock.instant(), "sandbox-1", clock.instant());

        Lease first = lease("w1");
        assertThat(queue.started(first, "node-1", selection("process"), warm)).isTrue();
        clock.advanceMillis(4000);
        Job finished = queue.finish(first, Outcome.succeeded(0, true)).orElseThrow();
        Lease second = lease("w1");
        assertThat(second.jobId()).isEqualTo(viaFinishAndLease.id());
        assertThat(queue.started(second, "node-1", selection("process"), warm)).isTrue();
        clock.advanceMillis(4000);

        Lease third = queue.finishAndLease(second, Outcome.succeeded(0, true), worker("w1")).orElseThrow();

        Job stored = reload(viaFinishAndLease.id());
        assertThat(stored.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(stored.timings().finishedAt()).isEqualTo(clock.instant());
        assertThat(stored.timings().run()).isEqualTo(Duration.ofSeconds(4));
        assertThat(endOf(stored)).isEqualTo(endOf(finished));
        assertThat(endOf(reload(viaFinish.id()))).isEqualTo(endOf(finished));
        assertThat(queue.renew(second)).isEqualTo(LeaseStatus.LOST);

        assertThat(third.jobId()).isEqualTo(next.id());
        assertThat(third.workerId()).isEqualTo("w1");
        assertThat(third.token()).isNotEqualTo(second.token());
        assertThat(third.job()).isEqualTo(reload(next.id()));
        assertThat(third.job().state()).isEqualTo(JobState.SCHEDULED);
        assertThat(third.job().timings().scheduledAt()).isEqualTo(clock.instant());
        assertThat(third.job().attempt()).isEqualTo(1);
        assertThat(queue.renew(third)).isEqualTo(LeaseStatus.HELD);
        assertThat(queue.started(third, "node-1", selection("process"), warm)).isTrue();

        assertThat(queue.finishAndLease(third, Outcome.succeeded(0, false), worker("w1"))).as("nothing left").isEmpty();
        assertThat(reload(next.id()).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(queue.countByState().get(JobState.SUCCEEDED)).isEqualTo(3);
    }

    @Test
    void finishAndLeaseWithABadNextRequestRecordsNothing() {
        Job job = enqueue("held");
        Lease held = lease("w1");
        assertThat(queue.started(held, "node-1", selection("process"), null)).isTrue();

        LeaseRequest bad = worker(" ");
        assertThatThrownBy(() -> queue.finishAndLease(held, Outcome.succeeded(0, false), bad))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(reload(job.id()).state()).as("the finish waits for a good call").isEqualTo(JobState.RUNNING);
        assertThat(queue.renew(held)).isEqualTo(LeaseStatus.HELD);
    }

    @Test
    void finishAndLeaseRetriesAFailureAsFinishDoes() {
        Job job = enqueue(spec("flaky").toBuilder().retry(retries(2, 1.0)).build());
        Job other = enqueue("other");
        Lease first = lease("w1");
        assertThat(queue.started(first, "node-1", selection("process"), null)).isTrue();

        Lease next = queue.finishAndLease(first, Outcome.failed(1, "exit code 1", false), worker("w1")).orElseThrow();

        assertThat(next.jobId()).as("the failed job waits out its backoff").isEqualTo(other.id());
        Job requeued = reload(job.id());
        assertThat(requeued.state()).isEqualTo(JobState.QUEUED);
        assertThat(requeued.error()).isEqualTo("exit code 1");
        assertThat(requeued.exitCode()).isEqualTo(1);
        assertThat(queue.finishAndLease(next, Outcome.succeeded(0, false), worker("w1"))).as("still backing off").isEmpty();
        clock.advanceMillis(1_101);
        Lease retry = queue.lease(worker("w2")).orElseThrow();
        assertThat(retry.jobId()).isEqualTo(job.id());
        assertThat(retry.job().attempt()).isEqualTo(2);
    }

    @Test
    void finishAndLeaseLeasesByPriorityAndFitAsLeaseDoes() {
        enqueue("running");
        Lease lease = leaseAndRun("w1");
        Job low = enqueue(spec("low", 1));
        Job tooBig = enqueue(spec().name("too-big").priority(9).resources(TestJobs.resources(8, 512, 0)).build());
        Job pinned = enqueue(spec().name("pinned").priority(9).runtime("kata").build());
        Job networked = enqueue(spec().name("networked").priority(8)
                .profile(new WorkloadProfile(null, new Needs(null, null, null, true), null, null)).build());
        Job debian = enqueue(spec().name("debian").priority(8).image("debian").build());
        Job high = enqueue(spec().name("high").priority(7).resources(TestJobs.resources(2, 512, 0)).build());
        Job mounting = enqueue(spec().name("mounting").priority(8).mounts(List.of(new Mount("/srv", "/srv", true)))
                .build());
        var next = new LeaseRequest("w1", TestJobs.LEASE, 2, 1024, 0, Set.of("process"), Set.of())
                .offering(Set.of(), Set.of("busybox")).mountingUnder(Set.of("/home"));

        Lease leased = queue.finishAndLease(lease, Outcome.succeeded(0, false), next).orElseThrow();

        assertThat(leased.jobId()).isEqualTo(high.id());
        assertThat(reload(tooBig.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(pinned.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(networked.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(debian.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(mounting.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(low.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(lease.jobId()).state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void aStaleOrForgedFinishAndLeaseRecordsNothingButStillLeases() {
        Job job = enqueue("first");
        Job second = enqueue("second");
        Job third = enqueue("third");
        Lease stale = leaseAndRun("w1");
        assertThat(expireLeases()).isEqualTo(1);
        Lease current = leaseAndRun("w2");
        assertThat(current.jobId()).isEqualTo(job.id());
        Job before = reload(job.id());

        Lease forged = new Lease(job.id(), "not-the-token", "w3", current.job());
        Lease fromForged = queue.finishAndLease(forged, Outcome.failed(1, "forged", false), worker("w3")).orElseThrow();
        Lease fromStale = queue.finishAndLease(stale, Outcome.succeeded(0, false), worker("w1")).orElseThrow();

        assertThat(reload(job.id())).isEqualTo(before);
        assertThat(List.of(fromForged.jobId(), fromStale.jobId())).containsExactly(second.id(), third.id());
        assertThat(fromStale.workerId()).isEqualTo("w1");
        assertThat(queue.renew(current)).isEqualTo(LeaseStatus.HELD);
        assertThat(queue.finish(current, Outcome.succeeded(0, false))).hasValueSatisfying(j -> {
            assertThat(j.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(j.node()).isEqualTo("node-w2");
        });
    }

    @Test
    void aFinishAndLeaseTheStateRefusesRecordsNothingButStillLeases() {
        // SCHEDULED may not move to SUCCEEDED, as with finish
        Job job = enqueue("first");
        Job next = enqueue("next");
        Lease lease = lease("w1");

        Lease leased = queue.finishAndLease(lease, Outcome.succeeded(0, false), worker("w1")).orElseThrow();

        assertThat(leased.jobId()).isEqualTo(next.id());
        assertThat(reload(job.id()).state()).isEqualTo(JobState.SCHEDULED);
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.HELD);
    }

    @Test
    void finishAndLeaseOfAJobAskedToCancelEndsItWithoutRetry() {
        Job job = enqueue(spec("cancel-me").toBuilder().retry(retries(5, 0)).build());
        Lease lease = leaseAndRun("w1");
        queue.cancel(job.id()); // the lease's copy of the job does not know yet

        assertThat(queue.finishAndLease(lease, Outcome.failed(137, "killed", false), worker("w1"))).isEmpty();

        assertThat(reload(job.id()).isFinal()).isTrue();
        assertThat(queue.lease(worker("w1"))).isEmpty();
    }

    @Test
    void concurrentFinishAndLeasesOfOneLeaseRecordOnceAndLeaseEachJobOnce() throws Exception {
        Job job = enqueue("first");
        for (int i = 0; i < 8; i++) {
            enqueue("next-" + i);
        }
        Lease lease = leaseAndRun("w1");
        List<String> leased = new CopyOnWriteArrayList<>();

        runConcurrently(8, worker -> () -> {
            Outcome outcome = worker % 2 == 0 ? Outcome.succeeded(0, false) : Outcome.failed(1, "x", false);
            queue.finishAndLease(lease, outcome, worker("w1")).ifPresent(l -> leased.add(l.jobId()));
            return null;
        });

        Job ended = reload(job.id());
        assertThat(ended.state()).isIn(JobState.SUCCEEDED, JobState.FAILED);
        // one outcome, all of it: the state, exit code and error of one call, not a mix of two
        assertThat(ended.exitCode()).isEqualTo(ended.state() == JobState.SUCCEEDED ? 0 : 1);
        assertThat(ended.error()).isEqualTo(ended.state() == JobState.SUCCEEDED ? null : "x");
        assertThat(leased).hasSize(8).doesNotHaveDuplicates().doesNotContain(job.id());
        assertThat(queue.countByState().get(JobState.SCHEDULED)).isEqualTo(8);
        assertThat(queue.finish(lease, Outcome.succeeded(0, false))).isEmpty();
        assertThat(reload(job.id())).isEqualTo(ended);
    }

    // ---- failures and retries ----------------------------------------------------------------

    @Test
    void withoutRetriesAFailureIsFinal() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");

        Job failed = queue.finish(lease, Outcome.failed(3, "exit code 3", false)).orElseThrow();

        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.exitCode()).isEqualTo(3);
        assertThat(failed.error()).contains("exit code 3");
        assertThat(failed.timings().finishedAt()).isEqualTo(clock.instant());
        clock.advance(Duration.ofHours(1));
        assertThat(queue.lease(worker("w1"))).isEmpty();
        assertThat(reload(job.id())).isEqualTo(failed);
    }

    @Test
    void withoutRetriesATimeoutIsFinal() {
        enqueue("first");
        Lease lease = leaseAndRun("w1");

        Job timedOut = queue.finish(lease, Outcome.timedOut("ran longer than 600s", false)).orElseThrow();

        assertThat(timedOut.state()).isEqualTo(JobState.TIMED_OUT);
        assertThat(timedOut.error()).contains("600s");
    }

    @Test
    void aRetryableFailureIsRetriedWithExponentialBackoffThenDeadLettered() {
        Job job = enqueue(spec().retry(retries(3, 1.0)).build());

        Lease first = leaseAndRun("w1");
        assertThat(first.job().attempt()).isEqualTo(1);
        Job afterFirst = queue.finish(first, Outcome.failed(1, "exit code 1", false)).orElseThrow();
        assertThat(afterFirst.state()).isEqualTo(JobState.QUEUED);
        assertThat(afterFirst.isFinal()).isFalse();
        assertThat(afterFirst.attempt()).isEqualTo(1);

        assertThat(queue.lease(worker("w1"))).as("leased during the 1 s backoff").isEmpty();
        clock.advanceMillis(999);
        assertThat(queue.lease(worker("w1"))).as("leased during the 1 s backoff, never drawn shorter").isEmpty();
        clock.advanceMillis(102); // and drawn at most a tenth longer
        Lease second = leaseAndRun("w2");
        assertThat(second.jobId()).isEqualTo(job.id());
        assertThat(reload(job.id()).attempt()).isEqualTo(2);
        assertThat(reload(job.id()).deliveries()).isEqualTo(2);

        assertThat(queue.finish(second, Outcome.failed(1, "exit code 1", false)).orElseThrow().state())
                .isEqualTo(JobState.QUEUED);
        clock.advanceMillis(1999);
        assertThat(queue.lease(worker("w1"))).as("leased during the 2 s backoff").isEmpty();
        clock.advanceMillis(202);
        Lease third = leaseAndRun("w3");
        assertThat(reload(job.id()).attempt()).isEqualTo(3);

        Job dead = queue.finish(third, Outcome.failed(1, "exit code 1", false)).orElseThrow();
        assertThat(dead.state()).isEqualTo(JobState.DEAD);
        assertThat(dead.attempt()).isEqualTo(3);
        assertThat(dead.error()).contains("3").containsIgnoringCase("attempt").contains("exit code 1");
        assertThat(dead.timings().finishedAt()).isEqualTo(clock.instant());
        clock.advance(Duration.ofHours(1));
        assertThat(queue.lease(worker("w1"))).isEmpty();
    }

    @Test
    void aRetryableTimeoutIsRetried() {
        enqueue(spec().retry(retries(2, 0)).build());
        Lease first = leaseAndRun("w1");

        assertThat(queue.finish(first, Outcome.timedOut("too slow", false)).orElseThrow().state())
                .isEqualTo(JobState.QUEUED);
        Lease second = leaseAndRun("w1");
        Job dead = queue.finish(second, Outcome.timedOut("too slow again", false)).orElseThrow();

        assertThat(dead.state()).isEqualTo(JobState.DEAD);
        assertThat(dead.error()).contains("too slow again");
    }

    @Test
    void aRefusalIsFinalAtOnceDespiteRetries() {
        Job job = enqueue(spec().retry(retries(5, 1)).build());
        Lease lease = lease("w1");

        Job failed = queue.finish(lease, Outcome.refused("no runtime may run this job")).orElseThrow();

        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.error()).contains("no runtime may run this job");
        assertThat(failed.attempt()).isEqualTo(1);
        clock.advance(Duration.ofHours(1));
        assertThat(queue.lease(worker("w1"))).isEmpty();
        assertThat(reload(job.id()).state()).isEqualTo(JobState.FAILED);
    }

    @Test
    void aJobAskedToCancelIsNotRetried() {
        Job job = enqueue(spec().retry(retries(5, 0)).build());
        Lease lease = leaseAndRun("w1");
        queue.cancel(job.id());

        Job ended = queue.finish(lease, Outcome.failed(137, "killed", false)).orElseThrow();

        assertThat(ended.isFinal()).isTrue();
        assertThat(queue.lease(worker("w1"))).isEmpty();
    }

    // ---- lease expiry ------------------------------------------------------------------------

    @Test
    void renewingKeepsTheLease() {
        Job job = enqueue("first");
        Lease lease = queue.lease(worker("w1", Duration.ofSeconds(10))).orElseThrow();

        clock.advance(Duration.ofSeconds(8));
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.HELD);
        clock.advance(Duration.ofSeconds(8)); // 16s after the lease, 8s after the renewal
        assertThat(queue.requeueExpired()).isZero();
        assertThat(reload(job.id()).state()).isEqualTo(JobState.SCHEDULED);
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.HELD);
    }

    @Test
    void anExpiredLeaseIsRequeuedAndLost() {
        Job job = enqueue("first");
        Lease lease = queue.lease(worker("w1", Duration.ofSeconds(10))).orElseThrow();
        assertThat(queue.starting(lease, "node-1", selection("process"))).isTrue();

        clock.advance(Duration.ofSeconds(9));
        assertThat(queue.requeueExpired()).isZero();
        clock.advance(Duration.ofSeconds(2));
        assertThat(queue.requeueExpired()).isEqualTo(1);

        Job requeued = reload(job.id());
        assertThat(requeued.state()).isEqualTo(JobState.QUEUED);
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.requeueExpired()).isZero();

        // the lost delivery counts as a delivery, not as an attempt
        Lease again = lease("w2");
        assertThat(again.jobId()).isEqualTo(job.id());
        Job redelivered = reload(job.id());
        assertThat(redelivered.deliveries()).isEqualTo(2);
        assertThat(redelivered.attempt()).isEqualTo(1);
        assertThat(redelivered.timings().scheduledAt()).isEqualTo(clock.instant());
    }

    @Test
    void aLostDeliveryDoesNotUseUpARetry() {
        Job job = enqueue(spec().retry(retries(2, 0)).build());
        leaseAndRun("w1");
        assertThat(expireLeases()).isEqualTo(1);

        Lease second = leaseAndRun("w2");
        Job afterFailure = queue.finish(second, Outcome.failed(1, "exit code 1", false)).orElseThrow();

        assertThat(afterFailure.state()).isEqualTo(JobState.QUEUED);
        Lease third = leaseAndRun("w3");
        assertThat(reload(job.id()).attempt()).isEqualTo(2);
        assertThat(reload(job.id()).deliveries()).isEqualTo(3);
        assertThat(queue.finish(third, Outcome.succeeded(0, false)).orElseThrow().state())
                .isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void aJobLostTooOftenIsDead() {
        Job job = enqueue("fragile");
        for (int delivery = 1; delivery < QueueBackend.MAX_DELIVERIES; delivery++) {
            leaseAndRun("w" + delivery);
            assertThat(expireLeases()).isEqualTo(1);
            assertThat(reload(job.id()).state()).as("after lost delivery %d", delivery).isEqualTo(JobState.QUEUED);
        }
        Lease last = leaseAndRun("w-last");
        assertThat(expireLeases()).isEqualTo(1);

        Job dead = reload(job.id());
        assertThat(dead.state()).isEqualTo(JobState.DEAD);
        assertThat(dead.deliveries()).isEqualTo(QueueBackend.MAX_DELIVERIES);
        assertThat(dead.error()).containsIgnoringCase("lost").contains(String.valueOf(QueueBackend.MAX_DELIVERIES));
        assertThat(dead.timings().finishedAt()).isEqualTo(clock.instant());
        assertThat(queue.renew(last)).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.finish(last, Outcome.succeeded(0, false))).isEmpty();
        assertThat(queue.lease(worker("w1"))).isEmpty();
    }

    @Test
    void aJobHandedBackAtItsNodesStopsIsNeverDeadForItAndItsLostDeliveriesAloneCount() {
        Job kept = enqueue("still-stopping");
        Lease keptLease = leaseAndRun("w1");
        assertThat(keptLease.jobId()).isEqualTo(kept.id());
        Job job = enqueue("long-running");
        for (int stop = 1; stop <= QueueBackend.MAX_DELIVERIES + 1; stop++) {
            Lease lease = leaseAndRun("w1");
            assertThat(lease.jobId()).isEqualTo(job.id());
            assertThat(queue.handBackAtStop("w1", Set.of(keptLease.token()))).as("stop %d", stop).isEqualTo(1);
            Job back = reload(job.id());
            assertThat(back.state()).as("after stop %d", stop).isEqualTo(JobState.QUEUED);
            assertThat(back.attempt()).as("not an attempt").isZero();
        }
        assertThat(queue.renew(keptLease)).as("a lease kept at the stop").isEqualTo(LeaseStatus.HELD);
        assertThat(reload(job.id()).deliveries()).isEqualTo(QueueBackend.MAX_DELIVERIES + 1);

        // only deliveries lost count toward the limit: the first loss after the stops leaves it queued
        leaseAndRun("w2");
        assertThat(queue.releaseLeasesOf("w2")).isEqualTo(1);
        assertThat(reload(job.id()).state()).isEqualTo(JobState.QUEUED);

        Lease cancelled = leaseAndRun("w3");
        queue.cancel(cancelled.jobId());
        assertThat(queue.handBackAtStop("w3", Set.of())).isEqualTo(1);
        assertThat(reload(job.id()).state()).as("a cancel asked for is not run again").isEqualTo(JobState.CANCELLED);
        assertThat(reload(job.id()).error()).as("not a worker lost").isEqualTo("cancelled; its worker gave it back: its node stopped");
    }

    @Test
    void requeueExpiredLeavesLiveLeasesAlone() {
        Job shortLease = enqueue("short");
        Job longLease = enqueue("long");
        Job waiting = enqueue("waiting");
        queue.lease(worker("w1", Duration.ofSeconds(5))).orElseThrow();
        Lease held = queue.lease(worker("w2", Duration.ofMinutes(5))).orElseThrow();
        clock.advance(Duration.ofSeconds(6));

        assertThat(queue.requeueExpired()).isEqualTo(1);

        assertThat(reload(shortLease.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(longLease.id()).state()).isEqualTo(JobState.SCHEDULED);
        assertThat(reload(waiting.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(queue.renew(held)).isEqualTo(LeaseStatus.HELD);
    }

    @Test
    void aWorkerReleasingItsLeasesRequeuesOnlyItsJobs() {
        Job ofW1 = enqueue("a");
        Job ofW2 = enqueue("b");
        Job alsoOfW1 = enqueue("c");
        Lease l1 = lease("w1");
        Lease l2 = leaseAndRun("w2");
        Lease l3 = leaseAndRun("w1");
        assertThat(List.of(l1.jobId(), l2.jobId(), l3.jobId())).containsExactly(ofW1.id(), ofW2.id(), alsoOfW1.id());

        assertThat(queue.releaseLeasesOf("w1")).isEqualTo(2);

        assertThat(reload(ofW1.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(alsoOfW1.id()).state()).isEqualTo(JobState.QUEUED);
        assertThat(reload(ofW2.id()).state()).isEqualTo(JobState.RUNNING);
        assertThat(queue.renew(l1)).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.finish(l3, Outcome.succeeded(0, false))).isEmpty();
        assertThat(queue.renew(l2)).isEqualTo(LeaseStatus.HELD);
        // requeued at once: no need to wait for the lease to expire
        assertThat(lease("w3").jobId()).isEqualTo(ofW1.id());
        assertThat(queue.releaseLeasesOf("nobody")).isZero();
    }

    @Test
    void aWorkerReleasingTheLeasesItDoesNotKnowKeepsTheOthers() {
        List<String> ids = List.of(enqueue("known").id(), enqueue("unknown").id());
        Lease kept = leaseAndRun("w1");
        Lease orphan = lease("w1"); // say its answer was lost: w1 does not know it holds it
        assertThat(List.of(kept.jobId(), orphan.jobId())).isEqualTo(ids);

        assertThat(queue.releaseLeasesOf("w1", Set.of(kept.token()))).isEqualTo(1);

        Job givenBack = reload(orphan.jobId());
        assertThat(givenBack.state()).isEqualTo(JobState.QUEUED);
        assertThat(givenBack.attempt()).as("not an attempt").isZero();
        assertThat(queue.renew(orphan)).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.renew(kept)).isEqualTo(LeaseStatus.HELD);
        assertThat(reload(kept.jobId()).state()).isEqualTo(JobState.RUNNING);
        assertThat(queue.releaseLeasesOf("w1", Set.of(kept.token()))).isZero();
    }

    @Test
    void aJobGivenBackIsQueuedAgainAtOnceWithoutUsingAnAttempt() {
        Job job = enqueue("given-back");
        Lease lease = leaseAndRun("w1");

        Job back = queue.giveBack(lease, "sandbox failed: no launcher").orElseThrow();

        assertThat(back.state()).isEqualTo(JobState.QUEUED);
        assertThat(back.attempt()).as("attempt").isZero();
        assertThat(back.deliveries()).as("deliveries").isEqualTo(1);
        assertThat(back.node()).as("node").isNull();
        assertThat(back.error()).as("error").isNull();
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.giveBack(lease, "again")).as("a lease given back is gone").isEmpty();
        assertThat(queue.finish(lease, Outcome.succeeded(0, false))).isEmpty();
        Lease again = leaseAndRun("w2");
        assertThat(again.jobId()).isEqualTo(job.id());
        assertThat(reload(job.id()).attempt()).isEqualTo(1);
        assertThat(reload(job.id()).deliveries()).isEqualTo(2);
    }

    @Test
    void onlyLostAndGivenBackDeliveriesCountTowardsDeadNotTheAttemptsThatFailed() {
        int failures = QueueBackend.MAX_DELIVERIES - 1;
        Job job = enqueue(spec("flaky").toBuilder().retry(retries(failures + 3, 0)).build());
        for (int attempt = 1; attempt <= failures; attempt++) {
            assertThat(queue.finish(leaseAndRun("w" + attempt), Outcome.failed(1, "exit code 1", false)).orElseThrow()
                    .state()).as("after failed attempt %d", attempt).isEqualTo(JobState.QUEUED);
        }
        leaseAndRun("w-lost");
        assertThat(expireLeases()).isEqualTo(1);
        assertThat(reload(job.id()).state()).as("after one lost delivery").isEqualTo(JobState.QUEUED);
        assertThat(queue.giveBack(leaseAndRun("w-gave-back"), "sandbox failed").orElseThrow().state())
                .as("after one given back").isEqualTo(JobState.QUEUED);

        Job done = queue.finish(leaseAndRun("w-ran"), Outcome.succeeded(0, false)).orElseThrow();

        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.attempt()).isEqualTo(failures + 1);
        assertThat(done.deliveries()).isEqualTo(failures + 3);
        assertThat(done.deliveries()).isGreaterThan(QueueBackend.MAX_DELIVERIES);
    }

    @Test
    void aJobGivenBackTooOftenIsDeadWithTheReason() {
        Job job = enqueue("unlucky");
        for (int delivery = 1; delivery < QueueBackend.MAX_DELIVERIES; delivery++) {
            assertThat(queue.giveBack(leaseAndRun("w" + delivery), "sandbox failed " + delivery).orElseThrow().state())
                    .as("after delivery %d", delivery).isEqualTo(JobState.QUEUED);
        }
        Job dead = queue.giveBack(leaseAndRun("w-last"), "sandbox failed last").orElseThrow();

        assertThat(dead.state()).isEqualTo(JobState.DEAD);
        assertThat(dead.error()).contains("sandbox failed last").contains(String.valueOf(QueueBackend.MAX_DELIVERIES));
        assertThat(dead.timings().finishedAt()).isEqualTo(clock.instant());
        assertThat(reload(job.id()).state()).isEqualTo(JobState.DEAD);
    }

    @Test
    void aJobGivenBackAfterACancelEndsCancelled() {
        Job job = enqueue("cancel-me");
        Lease lease = leaseAndRun("w1");
        queue.cancel(job.id());

        assertThat(queue.giveBack(lease, "sandbox failed").orElseThrow().state()).isEqualTo(JobState.CANCELLED);
        assertThat(queue.lease(worker("w2"))).isEmpty();
    }

    // ---- cancel ------------------------------------------------------------------------------

    @Test
    void cancellingAQueuedJobEndsItAtOnce() {
        Job job = enqueue("first");
        clock.advanceMillis(10);

        Job cancelled = queue.cancel(job.id()).orElseThrow();

        assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
        assertThat(cancelled.isFinal()).isTrue();
        assertThat(cancelled.timings().finishedAt()).isEqualTo(clock.instant());
        assertThat(reload(job.id())).isEqualTo(cancelled);
        assertThat(queue.lease(worker("w1"))).isEmpty();
    }

    @Test
    void cancellingALeasedJobAsksItsWorkerToStop() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");

        Job flagged = queue.cancel(job.id()).orElseThrow();

        assertThat(flagged.state()).isEqualTo(JobState.RUNNING);
        assertThat(flagged.cancelRequested()).isTrue();
        assertThat(reload(job.id()).cancelRequested()).isTrue();
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.CANCEL_REQUESTED);

        Job cancelled = queue.finish(lease, Outcome.cancelled("cancelled on request")).orElseThrow();
        assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
        assertThat(cancelled.timings().finishedAt()).isEqualTo(clock.instant());
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.LOST);
    }

    @Test
    void cancellingAScheduledJobAlsoWaitsForItsWorker() {
        Job job = enqueue("first");
        Lease lease = lease("w1");

        assertThat(queue.cancel(job.id()).orElseThrow().state()).isEqualTo(JobState.SCHEDULED);
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.CANCEL_REQUESTED);
        assertThat(queue.finish(lease, Outcome.cancelled(null)).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void cancellingAFinalJobChangesNothing() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");
        Job done = queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();
        clock.advanceMillis(50);

        assertThat(queue.cancel(job.id())).contains(done);
        assertThat(reload(job.id())).isEqualTo(done);

        Job other = enqueue("other");
        Job cancelled = queue.cancel(other.id()).orElseThrow();
        clock.advanceMillis(50);
        assertThat(queue.cancel(other.id())).contains(cancelled);
    }

    @Test
    void cancellingAnUnknownJobIsEmpty() {
        assertThat(queue.cancel("no-such-job")).isEmpty();
    }

    @Test
    void aJobWaitingOutItsBackoffCanBeCancelled() {
        Job job = enqueue(spec().retry(retries(3, 1)).build());
        Lease lease = leaseAndRun("w1");
        queue.finish(lease, Outcome.failed(1, "exited with code 1", true)).orElseThrow();

        Job cancelled = queue.cancel(job.id()).orElseThrow();
        assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
        // its exit code and error were the failed attempt's, as if the cancel had ended a run with them
        assertThat(cancelled.exitCode()).isNull();
        assertThat(cancelled.outputTruncated()).as("its output kept is still the attempt's, cut").isTrue();
        assertThat(cancelled.error()).isEqualTo("cancelled on request while waiting to retry; attempt 1: exited with code 1");
        assertThat(reload(job.id())).isEqualTo(cancelled);
        clock.advance(Duration.ofMinutes(1));
        assertThat(queue.lease(worker("w1"))).isEmpty();
        Job never = enqueue("never-run");
        assertThat(queue.cancel(never.id()).orElseThrow().error()).as("a job no attempt ended").isNull();
    }

    @Test
    void aCancelledJobWhoseWorkerVanishedIsNotRunAgain() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");
        queue.cancel(job.id());

        assertThat(expireLeases()).isEqualTo(1);

        Job ended = reload(job.id());
        assertThat(ended.state()).isEqualTo(JobState.CANCELLED);
        assertThat(queue.lease(worker("w2"))).isEmpty();
        // the old worker shows up late: a CANCELLED job takes no other final state
        assertThat(queue.finish(lease, Outcome.succeeded(0, false))).isEmpty();
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.LOST);
        assertThat(reload(job.id())).isEqualTo(ended);
    }

    // ---- exactly one final state -------------------------------------------------------------

    @Test
    void aFinalJobStaysAsItIs() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");
        Job done = queue.finish(lease, Outcome.failed(2, "exit code 2", false)).orElseThrow();
        clock.advance(Duration.ofHours(1));

        assertThat(queue.starting(lease, "node-9", selection("gvisor"))).isFalse();
        assertThat(queue.running(lease)).isFalse();
        assertThat(queue.finish(lease, Outcome.succeeded(0, false))).isEmpty();
        assertThat(queue.finish(lease, Outcome.cancelled("late"))).isEmpty();
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.requeueExpired()).isZero();
        assertThat(queue.releaseLeasesOf("w1")).isZero();
        assertThat(queue.giveBack(lease, "late")).isEmpty();
        assertThat(queue.started(lease, "node-9", selection("gvisor"),
                new StartRecord(StartPath.WARM, clock.instant(), "sandbox-9", clock.instant()))).isFalse();
        assertThat(queue.finishAndLease(lease, Outcome.succeeded(0, false), worker("w1"))).isEmpty();
        assertThat(queue.cancel(job.id())).contains(done);
        assertThat(reload(job.id())).isEqualTo(done);
    }

    // ---- list and count ----------------------------------------------------------------------

    @Test
    void listShowsNewestFirst() {
        Job a = enqueue("a");
        Job b = enqueue("b");
        clock.advanceMillis(5);
        Job c = enqueue("c");

        JobPage page = queue.list(JobQuery.all(10));

        assertThat(ids(page.jobs())).containsExactly(c.id(), b.id(), a.id());
        assertThat(page.nextCursor()).isNull();
        assertThat(page.jobs().get(2)).isEqualTo(a);
    }

    @Test
    void listOfAnEmptyQueueIsEmpty() {
        JobPage page = queue.list(JobQuery.all(10));
        assertThat(page.jobs()).isEmpty();
        assertThat(page.nextCursor()).isNull();
    }

    @Test
    void listFiltersByState() {
        Job queued1 = enqueue("q1");
        Job toRun = enqueue(spec("run", 9));
        Job toSucceed = enqueue(spec("ok", 9));
        Job toCancel = enqueue("cancel");
        Job queued2 = enqueue("q2");
        Lease running = leaseAndRun("w1");
        queue.finish(leaseAndRun("w2"), Outcome.succeeded(0, false)).orElseThrow();
        queue.cancel(toCancel.id());
        assertThat(running.jobId()).isEqualTo(toRun.id());

        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.QUEUED), null, 10)).jobs()))
                .containsExactly(queued2.id(), queued1.id());
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.SUCCEEDED, JobState.CANCELLED), null, 10)).jobs()))
                .containsExactly(toCancel.id(), toSucceed.id());
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.RUNNING), null, 10)).jobs()))
                .containsExactly(toRun.id());
        assertThat(queue.list(new JobQuery(Set.of(JobState.DEAD), null, 10)).jobs()).isEmpty();
        assertThat(queue.list(JobQuery.all(10)).jobs()).hasSize(5);
    }

    @Test
    void theStatesOfLeasedJobsAreListedAndCountedApart() {
        Job scheduled = enqueue(spec("scheduled", 9));
        Job starting = enqueue(spec("starting", 8));
        Job running = enqueue(spec("running", 7));
        Job queued = enqueue(spec("queued", 1));
        assertThat(lease("w1").jobId()).isEqualTo(scheduled.id());
        Lease second = lease("w2");
        assertThat(second.jobId()).isEqualTo(starting.id());
        assertThat(queue.starting(second, "node-w2", selection("process"))).isTrue();
        assertThat(leaseAndRun("w3").jobId()).isEqualTo(running.id());

        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.SCHEDULED), null, 10)).jobs()))
                .containsExactly(scheduled.id());
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.STARTING), null, 10)).jobs()))
                .containsExactly(starting.id());
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.RUNNING), null, 10)).jobs()))
                .containsExactly(running.id());
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.SCHEDULED, JobState.RUNNING, JobState.QUEUED), null, 10))
                .jobs())).containsExactly(queued.id(), running.id(), scheduled.id());
        assertThat(queue.oldest(JobState.STARTING)).map(Job::id).contains(starting.id());
        Map<JobState, Long> counts = queue.countByState();
        assertThat(counts.getOrDefault(JobState.SCHEDULED, 0L)).isEqualTo(1);
        assertThat(counts.getOrDefault(JobState.STARTING, 0L)).isEqualTo(1);
        assertThat(counts.getOrDefault(JobState.RUNNING, 0L)).isEqualTo(1);
        assertThat(counts.getOrDefault(JobState.QUEUED, 0L)).isEqualTo(1);
    }

    @Test
    void pagingCoversEveryJobOnce() {
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            submitted.add(enqueue("job-" + i).id());
        }

        List<Integer> sizes = new ArrayList<>();
        List<String> seen = collectPages(Set.of(), 10, sizes);

        assertThat(sizes).containsExactly(10, 10, 5);
        assertThat(seen).containsExactlyElementsOf(submitted.reversed());
    }

    @Test
    void aFullLastPageHasNoNextCursor() {
        for (int i = 0; i < 20; i++) {
            enqueue("job-" + i);
        }
        List<Integer> sizes = new ArrayList<>();
        assertThat(collectPages(Set.of(), 10, sizes)).hasSize(20).doesNotHaveDuplicates();
        assertThat(sizes).containsExactly(10, 10);
    }

    @Test
    void pagingWithAFilterCoversEveryMatchingJobOnce() {
        List<String> cancelled = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            Job job = enqueue("job-" + i);
            if (i % 2 == 0) {
                queue.cancel(job.id());
                cancelled.add(job.id());
            }
        }
        List<Integer> sizes = new ArrayList<>();

        List<String> seen = collectPages(Set.of(JobState.CANCELLED), 5, sizes);

        assertThat(seen).containsExactlyElementsOf(cancelled.reversed());
        assertThat(sizes).containsExactly(5, 5, 2);
    }

    @Test
    void pagingIsNotDisturbedByNewJobs() {
        List<String> submitted = enqueueJobs(5);
        JobPage first = queue.list(JobQuery.all(2));
        enqueue("late-1");
        enqueue("late-2");
        List<String> seen = new ArrayList<>(ids(first.jobs()));
        String cursor = first.nextCursor();
        while (cursor != null) {
            JobPage page = queue.list(new JobQuery(Set.of(), cursor, 2));
            seen.addAll(ids(page.jobs()));
            cursor = page.nextCursor();
        }
        assertThat(seen).containsExactlyElementsOf(submitted.reversed());
    }

    @Test
    void aPageOfLargeSpecsEndsOnceTheyReachTheByteBoundAndTheNextPageGoesOn() {
        String large = "x".repeat(900 * 1024); // five of them pass the bound, four do not
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            boolean big = i >= 2 && i < 8;
            submitted.add(enqueue(spec().name("job-" + i).stdin(big ? large : null).build()).id());
        }

        JobPage first = queue.list(JobQuery.all(100));
        assertThat(ids(first.jobs())).as("the two small, then five large: the fifth reaches the bound")
                .containsExactlyElementsOf(submitted.reversed().subList(0, 7));
        assertThat(first.nextCursor()).isNotNull();
        JobPage second = queue.list(new JobQuery(Set.of(), first.nextCursor(), 100));
        assertThat(ids(second.jobs())).containsExactlyElementsOf(submitted.reversed().subList(7, 10));
        assertThat(second.nextCursor()).isNull();
        assertThat(queue.list(new JobQuery(Set.of(), first.nextCursor(), 1)).jobs()).hasSize(1);
    }

    @Test
    void aPageThatEndsOnItsLastJobHasNoCursor() {
        List<String> submitted = enqueueJobs(3);
        JobPage all = queue.list(JobQuery.all(3));
        assertThat(ids(all.jobs())).containsExactlyElementsOf(submitted.reversed());
        assertThat(all.nextCursor()).isNull();
        JobPage two = queue.list(JobQuery.all(2));
        assertThat(two.nextCursor()).isNotNull();
        assertThat(queue.list(new JobQuery(Set.of(), two.nextCursor(), 2)).nextCursor()).isNull();
    }

    @Test
    void aTenantsListHoldsItsJobsAloneAcrossPages() {
        List<String> ofA = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String tenant = i % 8 == 0 ? "team-a" : i % 2 == 0 ? "team-b" : null;
            Job job = enqueue(spec().name("job-" + i).tenant(tenant).build());
            if (tenant != null && tenant.equals("team-a")) {
                ofA.add(job.id());
            }
        }
        leaseAndRun("w1"); // the oldest, team-a's first, is leased now

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JobPage page = queue.list(new JobQuery(Set.of(), cursor, 2, "team-a"));
            assertThat(page.jobs()).allSatisfy(job -> assertThat(job.spec().tenant()).isEqualTo("team-a"));
            seen.addAll(ids(page.jobs()));
            cursor = page.nextCursor();
            assertThat(++pages).as("pages").isLessThan(50);
        } while (cursor != null);
        assertThat(seen).containsExactlyElementsOf(ofA.reversed());
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.RUNNING), null, 10, "team-a")).jobs()))
                .containsExactly(ofA.getFirst());
        assertThat(queue.list(new JobQuery(Set.of(JobState.RUNNING), null, 10, "team-b")).jobs()).isEmpty();
        assertThat(queue.list(new JobQuery(Set.of(), null, 10, "team-c")).jobs()).isEmpty();
    }

    @Test
    void aNodesListHoldsTheJobsItRunsOrRanAcrossPagesAndWithAStateOrTenantFilter() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 130; i++) { // all but the first ten stay queued, on no node: a node's few among many
            ids.add(enqueue(spec().name("job-" + i).tenant(i == 3 || i == 4 ? "team-a" : null).build()).id());
        }
        List<String> onW1 = new ArrayList<>();
        Lease finishedOnW1 = null;
        for (int i = 0; i < 10; i++) {
            Lease lease = leaseAndRun(i % 3 == 0 ? "w1" : "w2");
            assertThat(lease.jobId()).isEqualTo(ids.get(i));
            if (i % 3 == 0) {
                onW1.add(lease.jobId());
                finishedOnW1 = finishedOnW1 == null ? lease : finishedOnW1;
            }
        }
        assertThat(queue.finish(finishedOnW1, Outcome.succeeded(0, false))).isPresent();

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JobPage page = queue.list(new JobQuery(Set.of(), cursor, 2, null, "node-w1"));
            assertThat(page.jobs()).allSatisfy(job -> assertThat(job.node()).isEqualTo("node-w1"));
            seen.addAll(ids(page.jobs()));
            cursor = page.nextCursor();
            assertThat(++pages).as("pages").isLessThan(50);
        } while (cursor != null);
        assertThat(seen).containsExactlyElementsOf(onW1.reversed());
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.SUCCEEDED), null, 10, null, "node-w1")).jobs()))
                .containsExactly(finishedOnW1.jobId());
        assertThat(ids(queue.list(new JobQuery(Set.of(JobState.RUNNING), null, 10, null, "node-w1")).jobs()))
                .containsExactlyElementsOf(onW1.subList(1, onW1.size()).reversed());
        assertThat(queue.list(new JobQuery(Set.of(JobState.SUCCEEDED), null, 10, null, "node-w2")).jobs()).isEmpty();
        assertThat(ids(queue.list(new JobQuery(Set.of(), null, 10, "team-a", "node-w1")).jobs())).containsExactly(ids.get(3));
        assertThat(queue.list(new JobQuery(Set.of(), null, 10, null, "node-w3")).jobs()).isEmpty();
    }

    @Test
    void aMalformedCursorIsRefused() {
        enqueue("a");
        assertThatThrownBy(() -> queue.list(new JobQuery(Set.of(), "not a cursor!", 10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cursor");
    }

    private List<String> collectPages(Set<JobState> states, int limit, List<Integer> sizes) {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            JobPage page = queue.list(new JobQuery(states, cursor, limit));
            sizes.add(page.jobs().size());
            seen.addAll(ids(page.jobs()));
            cursor = page.nextCursor();
            assertThat(sizes.size()).as("pages").isLessThan(100);
        } while (cursor != null);
        return seen;
    }

    @Test
    void countByStateCountsEveryJob() {
        for (int i = 0; i < 3; i++) {
            enqueue("queued-" + i);
        }
        enqueue(spec("to-run", 9));
        enqueue(spec("to-finish", 9));
        Job toCancel = enqueue("cancel");
        leaseAndRun("w1");
        queue.finish(leaseAndRun("w2"), Outcome.succeeded(0, false)).orElseThrow();
        queue.cancel(toCancel.id());

        Map<JobState, Long> counts = queue.countByState();

        assertThat(counts.getOrDefault(JobState.QUEUED, 0L)).isEqualTo(3);
        assertThat(counts.getOrDefault(JobState.RUNNING, 0L)).isEqualTo(1);
        assertThat(counts.getOrDefault(JobState.SUCCEEDED, 0L)).isEqualTo(1);
        assertThat(counts.getOrDefault(JobState.CANCELLED, 0L)).isEqualTo(1);
        assertThat(counts.getOrDefault(JobState.FAILED, 0L)).isZero();
        assertThat(counts.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(6);
    }

    @Test
    void oldestIsTheFirstSubmittedJobInThatState() {
        assertThat(queue.oldest(JobState.QUEUED)).as("empty queue").isEmpty();
        Job first = enqueue(spec("first", 9));
        clock.advance(Duration.ofSeconds(1));
        Job second = enqueue("second");
        clock.advance(Duration.ofSeconds(1));
        enqueue("third");

        assertThat(queue.oldest(JobState.QUEUED)).map(Job::id).contains(first.id());
        assertThat(queue.oldest(JobState.QUEUED)).map(job -> job.timings().submittedAt())
                .contains(first.timings().submittedAt());
        leaseAndRun("w1"); // the first, by priority
        assertThat(queue.oldest(JobState.QUEUED)).map(Job::id).contains(second.id());
        assertThat(queue.oldest(JobState.RUNNING)).map(Job::id).contains(first.id());
        assertThat(queue.oldest(JobState.SUCCEEDED)).isEmpty();
    }

    // ---- logs --------------------------------------------------------------------------------

    @Test
    void logsAreReadBackExactlyInOrder() {
        Job job = enqueue(spec().retry(retries(2, 0)).build());
        Lease lease = leaseAndRun("w1");
        byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe, 0, (byte) 0x80, (byte) 0xc3, '\n'};
        queue.appendLog(job.id(), 1, Stream.STDOUT, utf8("hello\n"));
        queue.appendLog(job.id(), 1, Stream.STDERR, notUtf8);
        queue.finish(lease, Outcome.failed(1, "exit code 1", false)).orElseThrow();
        leaseAndRun("w1");
        queue.appendLog(job.id(), 2, Stream.STDOUT, utf8("zweiter Versuch ✓"));

        List<LogChunk> chunks = queue.readLog(job.id(), 0, 100);

        assertThat(describe(chunks)).containsExactly(
                "1/1/1/STDOUT/" + HexFormat.of().formatHex(utf8("hello\n")),
                "2/1/1/STDERR/fffe0080c30a",
                "3/2/2/STDOUT/" + HexFormat.of().formatHex(utf8("zweiter Versuch ✓")));
        assertThat(chunks.get(1).data()).isEqualTo(notUtf8);
    }

    @Test
    void readLogPagesBySeq() {
        Job job = enqueue("chatty");
        leaseAndRun("w1");
        for (int i = 1; i <= 30; i++) {
            queue.appendLog(job.id(), 1, i % 3 == 0 ? Stream.STDERR : Stream.STDOUT, utf8("line " + i + "\n"));
        }

        assertThat(queue.readLog(job.id(), 0, 2)).extracting(LogChunk::seq).containsExactly(1L, 2L);
        assertThat(queue.readLog(job.id(), 28, 10)).extracting(LogChunk::seq).containsExactly(29L, 30L);
        assertThat(queue.readLog(job.id(), 30, 10)).isEmpty();
        assertThat(queue.readLog(job.id(), Long.MAX_VALUE, 10)).as("after any seq there is").isEmpty();

        List<String> lines = new ArrayList<>();
        long after = 0;
        List<LogChunk> page;
        while (!(page = queue.readLog(job.id(), after, 7)).isEmpty()) {
            assertThat(page.size()).isLessThanOrEqualTo(7);
            page.forEach(c -> lines.add(new String(c.data(), StandardCharsets.UTF_8)));
            after = page.getLast().seq();
        }
        assertThat(lines).hasSize(30).first().isEqualTo("line 1\n");
        assertThat(lines).last().isEqualTo("line 30\n");
        assertThat(after).isEqualTo(30);
    }

    @Test
    void readLogBeforeReadsTheOutputBackFromItsEndOldestFirst() {
        Job job = enqueue("chatty");
        leaseAndRun("w1");
        for (int i = 1; i <= 30; i++) {
            queue.appendLog(job.id(), 1, Stream.STDOUT, utf8("line " + i + "\n"));
        }
        Job other = enqueue("other");
        leaseAndRun("w2");
        queue.appendLog(other.id(), 1, Stream.STDOUT, utf8("not this job's\n"));

        assertThat(queue.readLogBefore(job.id(), Long.MAX_VALUE, 3)).extracting(LogChunk::seq).containsExactly(28L, 29L, 30L);
        assertThat(queue.readLogBefore(job.id(), 28, 2)).extracting(chunk -> new String(chunk.data(), StandardCharsets.UTF_8))
                .containsExactly("line 26\n", "line 27\n");
        assertThat(queue.readLogBefore(job.id(), 3, 10)).extracting(LogChunk::seq).containsExactly(1L, 2L);
        assertThat(queue.readLogBefore(job.id(), 1, 10)).as("before the first").isEmpty();
        assertThat(queue.readLogBefore(job.id(), 0, 10)).isEmpty();
        assertThat(queue.readLogBefore(job.id(), 31, 0)).isEmpty();
        assertThat(queue.readLogBefore("no-such-job", Long.MAX_VALUE, 10)).isEmpty();
    }

    @Test
    void anOutputChunkSentAgainUnderItsLeaseIsStoredOnceAndANewLeaseNumbersItsOwn() {
        Job job = enqueue("retried-output");
        Lease lease = leaseAndRun("w1");
        assertThat(queue.appendLog(lease, 1, Stream.STDOUT, utf8("one\n"))).isTrue();
        assertThat(queue.appendLog(lease, 1, Stream.STDOUT, utf8("one\n"))).as("sent again").isTrue();
        assertThat(queue.appendLog(lease, 2, Stream.STDERR, utf8("two\n"))).isTrue();
        assertThat(queue.appendLog(lease, 1, Stream.STDOUT, utf8("one\n"))).as("sent again, after the next").isTrue();
        assertThat(queue.appendLog(lease, 3, Stream.STDOUT, utf8("three\n"))).isTrue();

        assertThat(expireLeases()).isEqualTo(1);
        Lease again = leaseAndRun("w2");
        assertThat(queue.appendLog(again, 1, Stream.STDOUT, utf8("next run\n"))).as("a new lease counts from 1").isTrue();

        assertThat(queue.readLog(job.id(), 0, 10)).extracting(chunk -> new String(chunk.data(), StandardCharsets.UTF_8))
                .containsExactly("one\n", "two\n", "three\n", "next run\n");
    }

    @Test
    void outputUnderALeaseIsKeptOnlyWhileTheLeaseIsHeldAndTellsItsRunFromTheNext() {
        Job job = enqueue("twice-run");
        Lease first = leaseAndRun("w1");
        assertThat(queue.appendLog(first, 1, Stream.STDOUT, utf8("first run\n"))).isTrue();

        assertThat(expireLeases()).isEqualTo(1);
        Lease second = leaseAndRun("w2");
        assertThat(queue.appendLog(first, 2, Stream.STDOUT, utf8("stale run\n"))).as("the lost lease's run").isFalse();
        assertThat(queue.appendLog(second, 1, Stream.STDERR, utf8("second run\n"))).isTrue();
        queue.finish(second, Outcome.succeeded(0, false)).orElseThrow();
        assertThat(queue.appendLog(second, 2, Stream.STDOUT, utf8("too late\n"))).as("final").isFalse();

        // the lost delivery was not an attempt: both runs are attempt 1, told apart by their delivery
        assertThat(describe(queue.readLog(job.id(), 0, 10))).containsExactly(
                "1/1/1/STDOUT/" + HexFormat.of().formatHex(utf8("first run\n")),
                "2/1/2/STDERR/" + HexFormat.of().formatHex(utf8("second run\n")));
    }

    @Test
    void eachJobHasItsOwnLog() {
        Job a = enqueue("a");
        Job b = enqueue("b");
        queue.appendLog(a.id(), 0, Stream.STDOUT, utf8("for a"));
        queue.appendLog(b.id(), 0, Stream.STDOUT, utf8("for b"));
        queue.appendLog(a.id(), 0, Stream.STDOUT, utf8("for a again"));

        assertThat(queue.readLog(a.id(), 0, 10)).extracting(c -> new String(c.data(), StandardCharsets.UTF_8))
                .containsExactly("for a", "for a again");
        assertThat(queue.readLog(b.id(), 0, 10)).singleElement().satisfies(c -> assertThat(c.seq()).isEqualTo(1));
        assertThat(queue.readLog("no-such-job", 0, 10)).isEmpty();
    }

    @Test
    void aLargeChunkRoundTrips() {
        Job job = enqueue("big-output");
        byte[] data = new byte[512 * 1024];
        new Random(42).nextBytes(data);

        queue.appendLog(job.id(), 0, Stream.STDOUT, data);

        assertThat(queue.readLog(job.id(), 0, 10)).singleElement().satisfies(c -> assertThat(c.data()).isEqualTo(data));
    }

    @Test
    void logsOfAFinalJobAreDropped() {
        Job job = enqueue("first");
        Lease lease = leaseAndRun("w1");
        queue.appendLog(job.id(), 1, Stream.STDOUT, utf8("during"));
        queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();

        queue.appendLog(job.id(), 1, Stream.STDOUT, utf8("after the end"));

        assertThat(queue.readLog(job.id(), 0, 10)).extracting(c -> new String(c.data(), StandardCharsets.UTF_8))
                .containsExactly("during");

        Job cancelled = enqueue("cancelled");
        queue.cancel(cancelled.id());
        queue.appendLog(cancelled.id(), 0, Stream.STDERR, utf8("too late"));
        assertThat(queue.readLog(cancelled.id(), 0, 10)).isEmpty();
    }

    // ---- listeners ---------------------------------------------------------------------------

    /** Records what a listener is told, as "job ID STATE" and "log ID". */
    protected static final class RecordingListener implements QueueListener {
        public final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void jobChanged(Job job) {
            events.add("job " + job.id() + " " + job.state());
        }

        @Override
        public void logAppended(String jobId) {
            events.add("log " + jobId);
        }
    }

    @Test
    void listenersHearOfNewJobsCancelsAndOutput() throws Exception {
        RecordingListener listener = new RecordingListener();
        try (AutoCloseable handle = queue.subscribe(listener)) {
            Job job = enqueue("first");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(listener.events).contains("job " + job.id() + " QUEUED"));

            queue.appendLog(job.id(), 0, Stream.STDOUT, utf8("hi"));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(listener.events).contains("log " + job.id()));

            queue.cancel(job.id());
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(listener.events).contains("job " + job.id() + " CANCELLED"));
        }
    }

    @Test
    void aClosedSubscriptionHearsNothingMore() throws Exception {
        RecordingListener closed = new RecordingListener();
        RecordingListener open = new RecordingListener();
        AutoCloseable closedHandle = queue.subscribe(closed);
        try (AutoCloseable openHandle = queue.subscribe(open)) {
            Job before = enqueue("before");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(closed.events).contains("job " + before.id() + " QUEUED");
                assertThat(open.events).contains("job " + before.id() + " QUEUED");
            });

            closedHandle.close();
            Job after = enqueue("after");
            queue.appendLog(after.id(), 0, Stream.STDOUT, utf8("x"));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(open.events).contains("log " + after.id()));

            assertThat(closed.events).noneMatch(e -> e.contains(after.id()));
        }
    }

    /**
     * Listeners hear of changes in the order they were committed, even when one of them makes
     * another thread write at once and waits for it (as an agent woken by a new job leases it): the
     * later change must not overtake the one being told, nor may the two wait on each other.
     */
    @Test
    void listenersHearOfChangesInCommitOrder() throws Exception {
        var leases = new CopyOnWriteArrayList<Lease>();
        // why kept and asserted here: an assertion in the listener is the backend's to catch, and it logs it only
        var otherReturned = new java.util.concurrent.CompletableFuture<Boolean>();
        QueueListener eager = new QueueListener() {
            @Override
            public void jobChanged(Job job) {
                if (job.state() == JobState.QUEUED && leases.isEmpty()) {
                    Thread other = Thread.ofPlatform().start(() -> queue.lease(worker("eager")).ifPresent(leases::add));
                    try {
                        otherReturned.complete(other.join(Duration.ofSeconds(10)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        otherReturned.complete(false);
                    }
                }
            }
        };
        RecordingListener recorder = new RecordingListener();
        try (AutoCloseable a = queue.subscribe(eager); AutoCloseable b = queue.subscribe(recorder)) {
            Job job = enqueue("first");
            // a backend that told listeners under its write lock held the other write until the listener gave up
            assertThat(otherReturned.get(20, java.util.concurrent.TimeUnit.SECONDS))
                    .as("the other thread's write returned while the listener waited for it").isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> leases.size() == 1);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(recorder.events).containsExactly("job " + job.id() + " QUEUED", "job " + job.id() + " SCHEDULED"));
        }
    }

    @Test
    void aFailingListenerBreaksNeitherTheWriteNorOtherListeners() throws Exception {
        QueueListener failing = new QueueListener() {
            @Override
            public void jobChanged(Job job) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void logAppended(String jobId) {
                throw new IllegalStateException("listener bug");
            }
        };
        RecordingListener healthy = new RecordingListener();
        try (AutoCloseable a = queue.subscribe(failing); AutoCloseable b = queue.subscribe(healthy)) {
            Job job = queue.enqueue(spec("first")).job();
            queue.appendLog(job.id(), 0, Stream.STDOUT, utf8("hi"));

            assertThat(reload(job.id()).state()).isEqualTo(JobState.QUEUED);
            assertThat(queue.readLog(job.id(), 0, 10)).hasSize(1);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(healthy.events).contains("job " + job.id() + " QUEUED", "log " + job.id()));
        }
    }

    // ---- concurrency -------------------------------------------------------------------------

    /** Runs one task per worker, all released at once, and fails if any of them failed. */
    protected static void runConcurrently(int workers, java.util.function.IntFunction<Callable<Void>> task)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                Callable<Void> body = task.apply(w);
                futures.add(pool.submit(() -> {
                    go.await();
                    return body.call();
                }));
            }
            go.countDown();
            for (Future<Void> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentWorkersLeaseEveryJobExactlyOnce() throws Exception {
        int jobs = 200;
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            submitted.add(enqueue("job-" + i).id());
        }
        ConcurrentLinkedQueue<String> leased = new ConcurrentLinkedQueue<>();

        runConcurrently(8, w -> () -> {
            Optional<Lease> lease;
            while ((lease = queue.lease(worker("w" + w))).isPresent()) {
                leased.add(lease.get().jobId());
            }
            return null;
        });

        assertThat(leased).hasSize(jobs).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(submitted);
        assertThat(queue.countByState().getOrDefault(JobState.SCHEDULED, 0L)).isEqualTo(jobs);
    }

    @Test
    void concurrentSubmitsAllLand() throws Exception {
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();

        runConcurrently(8, w -> () -> {
            for (int i = 0; i < 25; i++) {
                ids.add(queue.enqueue(spec("w" + w + "-" + i)).job().id());
            }
            return null;
        });

        assertThat(ids).hasSize(200).doesNotHaveDuplicates();
        assertThat(queue.countByState().getOrDefault(JobState.QUEUED, 0L)).isEqualTo(200);
    }

    // ---- durability --------------------------------------------------------------------------

    @Test
    void jobsLeasesAndLogsSurviveACrash() {
        Job finished = enqueue(spec().name("finished").idempotencyKey("key-finished").build());
        Job inFlight = enqueue("in-flight");
        Job waiting = enqueue(TestJobs.everyField().toBuilder().priority(5).build());
        Job cancelled = enqueue("cancelled");
        Lease done = leaseAndRun("w1");
        queue.appendLog(finished.id(), 1, Stream.STDOUT, utf8("result: 42\n"));
        queue.finish(done, Outcome.succeeded(0, true)).orElseThrow();
        Lease held = leaseAndRun("w2");
        queue.appendLog(inFlight.id(), 1, Stream.STDERR, new byte[] {(byte) 0xff, 0, 1});
        queue.cancel(cancelled.id());
        assertThat(List.of(done.jobId(), held.jobId())).containsExactly(finished.id(), inFlight.id());
        List<Job> before = List.of(reload(finished.id()), reload(inFlight.id()), reload(waiting.id()), reload(cancelled.id()));
        List<String> logsBefore = describe(queue.readLog(finished.id(), 0, 10));
        List<String> inFlightLogsBefore = describe(queue.readLog(inFlight.id(), 0, 10));

        queue = reopenAfterCrash(queue, clock);

        assertThat(before).allSatisfy(job -> assertThat(queue.get(job.id())).contains(job));
        assertThat(describe(queue.readLog(finished.id(), 0, 10))).isEqualTo(logsBefore).hasSize(1);
        assertThat(describe(queue.readLog(inFlight.id(), 0, 10))).isEqualTo(inFlightLogsBefore).hasSize(1);
        assertThat(queue.countByState().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(4);
        // the agent kept running through the restart: its lease still holds
        assertThat(queue.renew(held)).isEqualTo(LeaseStatus.HELD);
        assertThat(queue.finish(held, Outcome.succeeded(0, false)).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(queue.enqueue(spec().idempotencyKey("key-finished").build()).created()).isFalse();
        assertThat(lease("w3").jobId()).isEqualTo(waiting.id());
        assertThat(queue.lease(worker("w3"))).isEmpty();
    }

    @Test
    void orderContinuesAcrossACrash() {
        Job older = enqueue("older");
        queue = reopenAfterCrash(queue, clock);
        Job newer = enqueue("newer");

        assertThat(ids(queue.list(JobQuery.all(10)).jobs())).containsExactly(newer.id(), older.id());
        assertThat(lease("w1").jobId()).isEqualTo(older.id());
        assertThat(lease("w1").jobId()).isEqualTo(newer.id());
    }
}
