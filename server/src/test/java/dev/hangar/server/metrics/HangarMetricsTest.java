package dev.hangar.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.Outcome;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.queue.testkit.MutableClock;
import dev.hangar.queue.testkit.TestJobs;
import dev.hangar.server.LocalNode;
import dev.hangar.server.TestNode;
import dev.hangar.core.cluster.DrainAsk;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.core.queue.QueueException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HangarMetricsTest {
    private final MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private final TestNode nodes = new TestNode(new NodeInfo("n1", NodeInfo.State.JOINED,
            new NodeInfo.Capacity(16, 2048, 2), List.of("process")));
    private final LocalNode local = nodes.local;
    private HangarMetrics metrics;


    @BeforeEach
    void open() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), clock);
        metrics = new HangarMetrics(queue, nodes, clock, job -> HangarMetrics.COLD);
    }

    @AfterEach
    void close() {
        metrics.close();
        queue.close();
    }

    private PromText scrape() {
        return new PromText(metrics.scrape());
    }

    private Job enqueue(String name) {
        return queue.enqueue(TestJobs.spec(name)).job();
    }

    private Lease leaseAndRun(String runtime) {
        Lease lease = queue.lease(TestJobs.worker("w")).orElseThrow();
        clock.advanceMillis(5);
        queue.starting(lease, "n1", TestJobs.selection(runtime));
        clock.advanceMillis(20);
        queue.running(lease);
        return lease;
    }

    @Test
    void jvmMetricsAreThere() {
        PromText text = scrape();
        assertThat(text.hasFamily("jvm_memory_used_bytes")).as(text.text).isTrue();
        assertThat(text.hasFamily("jvm_threads_live_threads")).isTrue();
        assertThat(text.text).contains("jvm_gc_", "jvm_classes_loaded_classes", "process_uptime_seconds",
                "system_cpu_count", "jvm_info");
    }

    @Test
    void aJobsStartIsRecordedWhenItRunsNotWhenItEnds() {
        enqueue("long");
        clock.advanceMillis(100);
        Lease lease = leaseAndRun("process");

        String[] labels = {"runtime", "process", "path", "cold"};
        PromText running = scrape();
        // it used to wait for the job's end, an hour later for a job of an hour, and for good across a restart
        assertThat(running.value("hangar_job_queued_seconds_count", labels)).isEqualTo(1);
        assertThat(running.value("hangar_job_start_seconds_count", labels)).isEqualTo(1);
        assertThat(running.value("hangar_job_run_seconds_count", labels)).as("no run recorded yet").isNull();

        clock.advanceMillis(1000);
        queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();
        PromText ended = scrape();
        assertThat(ended.value("hangar_job_start_seconds_count", labels)).as("once").isEqualTo(1);
        assertThat(ended.value("hangar_job_run_seconds_count", labels)).isEqualTo(1);
    }

    @Test
    void jobsByStateQueueDepthAndOldestAgeFollowTheStore() {
        PromText empty = scrape();
        assertThat(empty.value("hangar_jobs", "state", "QUEUED")).isZero();
        assertThat(empty.value("hangar_queue_depth")).isZero();
        assertThat(empty.value("hangar_queue_oldest_age_seconds")).isZero();

        enqueue("a");
        clock.advance(Duration.ofSeconds(10));
        enqueue("b");
        enqueue("c");
        leaseAndRun("process"); // a
        clock.advance(Duration.ofSeconds(5));

        // a scrape within 20 times the last read's cost is answered from that read, and a cold first read may take a
        // while on a busy host: the counts come at the latest 5 s after it
        PromText text = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(this::scrape, scraped -> Double.valueOf(2).equals(scraped.value("hangar_jobs", "state", "QUEUED")));
        assertThat(text.value("hangar_jobs", "state", "RUNNING")).isEqualTo(1);
        assertThat(text.value("hangar_jobs", "state", "SUCCEEDED")).isZero();
        assertThat(text.value("hangar_queue_depth")).isEqualTo(2);
        assertThat(text.value("hangar_queue_oldest_age_seconds")).as("b waited 5 s and 25 ms")
                .isEqualTo(5.025);
    }

    @Test
    void aFinishedJobIsCountedOnceWithItsPhasesRecorded() {
        enqueue("ok");
        clock.advanceMillis(100);
        Lease lease = leaseAndRun("process");
        queue.cancel(lease.jobId()); // a RUNNING event again, flagged: not a new attempt
        clock.advanceMillis(1000);
        queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();
        queue.cancel(lease.jobId()); // a final job: nothing happens

        PromText text = scrape();
        assertThat(text.value("hangar_jobs_finished_total", "state", "SUCCEEDED", "runtime", "process")).isEqualTo(1);
        String[] labels = {"runtime", "process", "path", "cold"};
        assertThat(text.value("hangar_job_queued_seconds_count", labels)).isEqualTo(1);
        assertThat(text.value("hangar_job_queued_seconds_sum", labels)).isEqualTo(0.1);
        assertThat(text.value("hangar_job_start_seconds_count", labels)).isEqualTo(1);
        assertThat(text.value("hangar_job_start_seconds_sum", labels)).isEqualTo(0.025);
        assertThat(text.value("hangar_job_submit_to_running_seconds_sum", labels)).isEqualTo(0.125);
        assertThat(text.value("hangar_job_run_seconds_sum", labels)).isEqualTo(1.0);
        assertThat(text.value("hangar_job_start_seconds_bucket", "runtime", "process", "path", "cold", "le", "0.025"))
                .isEqualTo(1);
        assertThat(text.value("hangar_job_start_seconds_bucket", "runtime", "process", "path", "cold", "le", "0.01"))
                .isZero();
        assertThat(text.value("hangar_job_start_seconds_bucket", "runtime", "process", "path", "cold", "le", "60.0"))
                .isEqualTo(1);
    }

    @Test
    void aRunOfTenMinutesFallsInABucketOfItsOwnNotAllBeyondAMinute() {
        enqueue("long");
        Lease lease = leaseAndRun("process");
        clock.advance(Duration.ofMinutes(10));
        queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();

        PromText text = scrape();
        // the buckets stopped at 60 s: every run longer than a minute was in +Inf alone, and its quantiles read 60
        assertThat(text.value("hangar_job_run_seconds_bucket", "runtime", "process", "path", "cold", "le", "300.0")).isZero();
        assertThat(text.value("hangar_job_run_seconds_bucket", "runtime", "process", "path", "cold", "le", "900.0"))
                .isEqualTo(1);
    }

    @Test
    void eachStartOfARetriedJobIsRecordedItsWaitFromSubmitOnlyForItsFirstDeliveryAndALostDeliveryIsNoAttempt() {
        queue.enqueue(JobSpec.builder().command("false").retry(TestJobs.retries(3, 0)).build());
        clock.advanceMillis(100);
        Lease first = leaseAndRun("process");
        clock.advanceMillis(5000);
        queue.finish(first, Outcome.failed(1, "exit 1", false)); // back to QUEUED: attempt 1 ends
        Lease second = leaseAndRun("process");
        queue.releaseLeasesOf("w"); // lost: not an attempt
        Lease third = leaseAndRun("process");
        queue.finish(third, Outcome.succeeded(0, false));

        PromText text = scrape();
        String[] labels = {"runtime", "process", "path", "cold"};
        assertThat(second.job().attempt()).isEqualTo(2);
        // a retry's wait "from submit" used to be recorded too, the first attempt's 5 s run in it
        assertThat(text.value("hangar_job_queued_seconds_count", labels)).isEqualTo(1);
        assertThat(text.value("hangar_job_queued_seconds_sum", labels)).isEqualTo(0.1);
        assertThat(text.value("hangar_job_submit_to_running_seconds_count", labels)).isEqualTo(1);
        assertThat(text.value("hangar_job_start_seconds_count", labels)).as("each delivery that started").isEqualTo(3);
        assertThat(text.value("hangar_job_run_seconds_count", labels)).as("a retried attempt has no finish time")
                .isEqualTo(1);
        assertThat(text.value("hangar_jobs_finished_total", "state", "SUCCEEDED", "runtime", "process")).isEqualTo(1);
        assertThat(text.value("hangar_jobs_finished_total", "state", "FAILED", "runtime", "process")).isNull();
    }

    @Test
    void aJobCancelledInTheQueueCountsWithNoRuntimeAndNoAttempt() {
        Job job = enqueue("never");
        queue.cancel(job.id());

        PromText text = scrape();
        assertThat(text.value("hangar_jobs_finished_total", "state", "CANCELLED", "runtime", "none")).isEqualTo(1);
        assertThat(text.value("hangar_job_queued_seconds_count", "runtime", "none", "path", "cold")).isNull();
        assertThat(text.value("hangar_jobs", "state", "CANCELLED")).isEqualTo(1);
    }

    @Test
    void nodeCapacityFollowsJoinsAndLossesAndTheHooksShowWhatTheyAreGiven() {
        assertThat(scrape().value("hangar_node_capacity_cpus", "node", "n1")).as("not joined yet").isNull();
        local.join();
        assertThat(scrape().value("hangar_sandboxes_running", "node", "n1")).as("by its heartbeat, as a cluster's server has it")
                .isEqualTo(0);
        metrics.sandboxesRunning("n1", () -> 3);
        metrics.poolSandboxes("warm-python", "process", () -> 4);

        PromText text = scrape();
        assertThat(text.value("hangar_node_capacity_cpus", "node", "n1")).isEqualTo(16);
        assertThat(text.value("hangar_node_capacity_memory_bytes", "node", "n1")).isEqualTo(2048.0 * 1024 * 1024);
        assertThat(text.value("hangar_node_capacity_gpus", "node", "n1")).isEqualTo(2);
        assertThat(text.value("hangar_sandboxes_running", "node", "n1")).isEqualTo(3);
        assertThat(text.value("hangar_pool_sandboxes", "pool", "warm-python", "runtime", "process")).isEqualTo(4);

        local.leave();
        assertThat(scrape().value("hangar_node_capacity_cpus", "node", "n1")).isNull();
    }

    @Test
    void aNodeAskedToDrainIsCountedUntilItIsResumed() {
        var cluster = new OneNodeCluster(NodeInfo.of(clusterNode(0), NodeInfo.State.JOINED));
        var asks = cluster.asks;
        var told = cluster.told;
        try (var clusterMetrics = new HangarMetrics(queue, cluster, clock, job -> HangarMetrics.COLD)) {
            assertThat(new PromText(clusterMetrics.scrape()).value("hangar_node_draining", "node", "c1")).isEqualTo(0);
            assertThat(new PromText(clusterMetrics.scrape()).value("hangar_drain_asks", "up", "false")).isEqualTo(0);
            Instant askedAt = Instant.parse("2030-01-01T00:00:00Z");
            for (int running : new int[] {1, 0}) { // draining, then drained: counted alike
                told.get().accept(NodeInfo.of(clusterNode(running), NodeInfo.State.JOINED, askedAt));
                assertThat(new PromText(clusterMetrics.scrape()).value("hangar_node_draining", "node", "c1")).isEqualTo(1);
            }
            told.get().accept(NodeInfo.of(clusterNode(0), NodeInfo.State.JOINED));
            assertThat(new PromText(clusterMetrics.scrape()).value("hangar_node_draining", "node", "c1")).isEqualTo(0);

            // asks kept, of a node up and of two stopped for their maintenance: counted whether or not they are up
            asks.set(List.of(new DrainAsk("c1", askedAt, true), new DrainAsk("gpu-07", askedAt, false),
                    new DrainAsk("gpu-08", askedAt, false)));
            PromText text = new PromText(clusterMetrics.scrape());
            assertThat(text.value("hangar_drain_asks", "up", "true")).isEqualTo(1);
            assertThat(text.value("hangar_drain_asks", "up", "false")).isEqualTo(2);
        }
    }

    @Test
    void eachLabelOfANodeIsASeriesThatFollowsItsLabelsAndGoesWithTheNode() {
        var cluster = new OneNodeCluster(NodeInfo.of(labelled(Map.of("zone", "r1", "gpu", "a100")), NodeInfo.State.JOINED));
        try (var clusterMetrics = new HangarMetrics(queue, cluster, clock, job -> HangarMetrics.COLD)) {
            PromText text = new PromText(clusterMetrics.scrape());
            assertThat(text.value("hangar_node_label", "node", "c1", "key", "zone", "value", "r1")).isEqualTo(1);
            assertThat(text.value("hangar_node_label", "node", "c1", "key", "gpu", "value", "a100")).isEqualTo(1);

            // relabelled: zone=r2 in place of its own, gpu taken away
            cluster.told.get().accept(NodeInfo.of(labelled(Map.of("zone", "r2")), NodeInfo.State.JOINED));
            text = new PromText(clusterMetrics.scrape());
            assertThat(text.value("hangar_node_label", "node", "c1", "key", "zone", "value", "r2")).isEqualTo(1);
            assertThat(text.value("hangar_node_label", "node", "c1", "key", "zone", "value", "r1")).isNull();
            assertThat(text.value("hangar_node_label", "node", "c1", "key", "gpu", "value", "a100")).isNull();

            cluster.told.get().accept(NodeInfo.of(labelled(Map.of("zone", "r2")), NodeInfo.State.LOST));
            assertThat(new PromText(clusterMetrics.scrape()).hasFamily("hangar_node_label")).isFalse();
        }
    }

    @Test
    void whileTheRegistryIsOutOfReachANodesSeriesSayNotKnownRatherThanItsLastFigures() {
        var cluster = new OneNodeCluster(NodeInfo.of(labelled(Map.of("zone", "r1")), NodeInfo.State.JOINED));
        try (var clusterMetrics = new HangarMetrics(queue, cluster, clock, job -> HangarMetrics.COLD)) {
            assertThat(new PromText(clusterMetrics.scrape()).value("hangar_node_capacity_cpus", "node", "c1")).isEqualTo(8);

            cluster.away.set(true);
            PromText text = new PromText(clusterMetrics.scrape());

            // they said the node was there, with its capacity, while nothing could be known of it
            assertThat(text.value("hangar_node_capacity_cpus", "node", "c1")).isNaN();
            assertThat(text.value("hangar_node_draining", "node", "c1")).isNaN();
            assertThat(text.value("hangar_node_label", "node", "c1", "key", "zone", "value", "r1")).isNaN();

            cluster.away.set(false);
            assertThat(new PromText(clusterMetrics.scrape()).value("hangar_node_capacity_cpus", "node", "c1")).isEqualTo(8);
        }
    }

    @Test
    void aScrapeReadsTheNodeListOnceForEveryNodesSeries() {
        var cluster = new OneNodeCluster(NodeInfo.of(clusterNode(3), NodeInfo.State.JOINED));
        try (var clusterMetrics = new HangarMetrics(queue, cluster, clock, job -> HangarMetrics.COLD)) {
            int before = cluster.reads.get();
            PromText text = new PromText(clusterMetrics.scrape());

            assertThat(text.value("hangar_sandboxes_running", "node", "c1")).as("by its heartbeat").isEqualTo(3);
            assertThat(text.value("hangar_node_capacity_cpus", "node", "c1")).isEqualTo(8);
            // it read the list once more for each node's running sandboxes: N + 1 reads of a cluster's registry
            assertThat(cluster.reads.get() - before).isEqualTo(1);

            cluster.away.set(true);
            assertThat(new PromText(clusterMetrics.scrape()).value("hangar_sandboxes_running", "node", "c1")).isNaN();
        }
    }

    /** A cluster of one node, "c1", whose changes the test tells the metrics of, and the asks to drain it keeps. */
    private final class OneNodeCluster implements dev.hangar.server.NodeView {
        final AtomicReference<java.util.function.Consumer<NodeInfo>> told = new AtomicReference<>();
        final AtomicReference<List<DrainAsk>> asks = new AtomicReference<>(List.of());
        /** While set, the registry is out of reach: the nodes cannot be read. */
        final AtomicBoolean away = new AtomicBoolean();
        /** Reads of the node list, as a registry in Redis would count its round trips. */
        final java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        private final NodeInfo node;

        OneNodeCluster(NodeInfo node) {
            this.node = node;
        }

        @Override
        public List<DrainAsk> drainAsks() {
            return asks.get();
        }

        @Override
        public List<dev.hangar.core.runtime.RuntimeStatus> runtimes() {
            return nodes.runtimes();
        }

        @Override
        public dev.hangar.core.job.SpecLimits limits() {
            return nodes.limits();
        }

        @Override
        public List<NodeInfo> nodes() {
            reads.incrementAndGet();
            if (away.get()) {
                throw new IllegalStateException("the node registry is out of reach (test)");
            }
            return List.of(node);
        }

        @Override
        public AutoCloseable watchNodes(java.util.function.Consumer<NodeInfo> listener) {
            told.set(listener);
            return () -> {};
        }
    }

    /** The heartbeat of a node of a cluster, "c1", with these labels. */
    private NodeStatus labelled(Map<String, String> labels) {
        var capacity = new NodeStatus.Capacity(8, 4096, 0);
        return new NodeStatus("c1", capacity, new NodeStatus.Load(0, 8, 4096, 0), 2, List.of(), Set.of(), null, false,
                clock.instant(), List.of(), null, false, null, labels);
    }

    /** The heartbeat of a node of a cluster, "c1", that has seen an ask to drain. */
    private NodeStatus clusterNode(int running) {
        var capacity = new NodeStatus.Capacity(8, 4096, 0);
        return new NodeStatus("c1", capacity, new NodeStatus.Load(running, 8 - running, 4096, 0), 2, List.of(), Set.of(),
                null, false, clock.instant(), List.of(), null, true, Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Test
    void poolsThatCannotBeReadLeaveTheScrapeAnsweringAndTheirCountersNeverGoBack() {
        var pools = new AtomicReference<List<PoolStatus>>(List.of(pool(3, 100)));
        var away = new AtomicBoolean();
        metrics.pools(new PoolsView() {
            @Override
            public List<PoolStatus> pools() {
                if (away.get()) {
                    throw new QueueException("the cluster's registry is out of reach (test)", null);
                }
                return pools.get();
            }

            @Override
            public Budget budget() {
                return new Budget(1024, 0);
            }

            @Override
            public Put put(PoolSpec spec) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<PoolStatus> remove(String name) {
                return Optional.empty();
            }
        });
        PromText before = scrape();
        assertThat(before.value("hangar_pool_served_total", "pool", "p", "runtime", "process")).isEqualTo(100);
        assertThat(before.value("hangar_store_up")).isEqualTo(1);

        away.set(true); // it used to fail the whole scrape (a 503 on /metrics)
        PromText during = scrape();
        assertThat(during.value("hangar_pool_served_total", "pool", "p", "runtime", "process")).isEqualTo(100);
        assertThat(during.value("hangar_pool_sandboxes", "pool", "p", "runtime", "process")).as("as last read").isEqualTo(3);
        assertThat(during.value("hangar_jobs", "state", "QUEUED")).isNotNull();
        away.set(false);

        pools.set(List.of()); // its only node lost: the pool is gone from the cluster's view
        PromText gone = scrape();
        assertThat(gone.value("hangar_pool_sandboxes", "pool", "p", "runtime", "process")).isZero();
        assertThat(gone.value("hangar_pool_served_total", "pool", "p", "runtime", "process")).isEqualTo(100);
        pools.set(List.of(pool(1, 105))); // back, its totals kept: 5 more served
        assertThat(scrape().value("hangar_pool_served_total", "pool", "p", "runtime", "process")).isEqualTo(105);
        pools.set(List.of(pool(1, 2))); // removed and made again: its counts start from 0
        assertThat(scrape().value("hangar_pool_served_total", "pool", "p", "runtime", "process")).isEqualTo(107);
        pools.set(List.of(new PoolStatus(new PoolSpec("p", "gvisor", null, 1.0, 256L, 2, 8, 300), 2, 0, 0, 1, 0, 0, 0, 0,
                0, 2, 512L, null, null))); // made again on another runtime: labelled so
        PromText moved = scrape();
        assertThat(moved.value("hangar_pool_sandboxes", "pool", "p", "runtime", "gvisor")).isEqualTo(2);
        assertThat(moved.value("hangar_pool_sandboxes", "pool", "p", "runtime", "process")).isZero();
    }

    private static PoolStatus pool(int ready, long served) {
        return new PoolStatus(new PoolSpec("p", "process", null, 1.0, 256L, 2, 8, 300), ready, 0, 0, served, 0, 0, 0, 0, 0,
                2, ready * 256L, null, null);
    }

    /** The figures a scrape reads from the store, at 10,000 jobs: cheap enough to read on every scrape. */
    @Test
    void readingTheCountsAt10kJobsIsCheap() {
        for (int i = 0; i < 10_000; i++) {
            enqueue("j" + i);
        }
        for (int i = 0; i < 2_000; i++) {
            queue.finish(leaseAndRun("process"), Outcome.succeeded(0, false));
        }
        metrics.scrape(); // warm up
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            var counts = new JobCounts(queue, clock);
            counts.refresh();
            best = Math.min(best, counts.lastCost().toNanos());
        }
        System.out.printf("job counts and oldest QUEUED at 10,000 jobs: %.2f ms%n", best / 1e6);
        assertThat(Duration.ofNanos(best)).isLessThan(Duration.ofMillis(200));
        PromText text = scrape();
        assertThat(text.value("hangar_jobs", "state", "QUEUED")).isEqualTo(8_000);
        assertThat(text.value("hangar_jobs", "state", "SUCCEEDED")).isEqualTo(2_000);
    }
}
