package dev.hangar.queue.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.StartPath;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueBackendProvider;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.queue.QueueListeners;
import dev.hangar.core.queue.StartRecord;
import dev.hangar.core.runtime.OutputSink.Stream;
import dev.hangar.queue.testkit.MutableClock;
import dev.hangar.queue.testkit.TestJobs;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the contract cannot see: the file, its pragmas and schema, the provider, the id format. */
class SqliteSpecificsTest {
    @TempDir
    Path dir;
    private final MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");

    @Test
    void theFileIsInWalModeWithASchemaVersion() throws Exception {
        Path file = dir.resolve("hangar.db");
        try (QueueBackend queue = SqliteQueueBackend.open(file, clock)) {
            queue.enqueue(TestJobs.spec("first"));
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file)) {
                assertThat(pragma(other, "journal_mode")).isEqualTo("wal");
                assertThat(pragma(other, "user_version")).isEqualTo(String.valueOf(Schema.VERSION));
            }
        }
    }

    @Test
    void aNewerSchemaIsRefused() throws Exception {
        Path file = dir.resolve("future.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }
        assertThatThrownBy(() -> SqliteQueueBackend.open(file, clock))
                .isInstanceOf(QueueException.class)
                .hasMessageContaining("schema version 99");
    }

    @Test
    void aVersionOneDatabaseGainsTheNewColumnsAndKeepsItsJobsAndOutput() throws Exception {
        Path file = dir.resolve("v1.db");
        String id;
        try (QueueBackend queue = SqliteQueueBackend.open(file, clock)) {
            id = queue.enqueue(TestJobs.spec("from-v1")).job().id();
            queue.appendLog(id, 0, Stream.STDOUT, "v1".getBytes(StandardCharsets.UTF_8));
        }
        // why: turn the file back into what Hangar with schema 1 wrote
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            for (String column : new String[] {"sandbox_ready_at", "start_path", "sandbox_id", "sandbox_created_at",
                    "log_chunk", "stops"}) {
                s.execute("ALTER TABLE jobs DROP COLUMN " + column);
            }
            s.execute("ALTER TABLE logs DROP COLUMN delivery");
            s.execute("DROP INDEX jobs_by_finish");
            s.execute("DROP INDEX jobs_by_tenant");
            s.execute("DROP INDEX jobs_by_node");
            s.execute("DROP TABLE settings");
            s.execute("DROP INDEX " + SqliteQueueBackend.BY_TENANT_AND_STATE);
            s.execute("DROP INDEX " + SqliteQueueBackend.BY_NODE_AND_STATE);
            s.execute("PRAGMA user_version = 1");
        }

        try (QueueBackend queue = SqliteQueueBackend.open(file, clock)) {
            assertThat(queue.get(id)).hasValueSatisfying(job -> assertThat(job.spec().name()).isEqualTo("from-v1"));
            Lease lease = queue.lease(TestJobs.worker("w1")).orElseThrow();
            queue.starting(lease, "node", TestJobs.selection("process"));
            assertThat(queue.running(lease, new StartRecord(StartPath.WARM, clock.instant(), "sb-1", clock.instant())))
                    .isTrue();
            assertThat(queue.get(id).orElseThrow().timings().path()).isEqualTo(StartPath.WARM);
            assertThat(queue.appendLog(lease, 1, Stream.STDOUT, "v4".getBytes(StandardCharsets.UTF_8))).isTrue();
            assertThat(queue.readLog(id, 0, 10)).as("the delivery of each chunk; 0 where the file did not record it")
                    .extracting(chunk -> new String(chunk.data(), StandardCharsets.UTF_8) + "@" + chunk.delivery())
                    .containsExactly("v1@0", "v4@1");
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file)) {
                assertThat(pragma(other, "user_version")).isEqualTo(String.valueOf(Schema.VERSION));
                // a list of one node's or one tenant's jobs reads them alone, not the whole table
                assertThat(queryPlan(other, "SELECT seq FROM jobs WHERE node = 'n1' ORDER BY seq DESC LIMIT 51"))
                        .contains("jobs_by_node").doesNotContain("SCAN jobs\n");
                assertThat(queryPlan(other, "SELECT seq FROM jobs WHERE json_extract(spec, '$.tenant') = 't'"
                        + " ORDER BY seq DESC LIMIT 51")).contains("jobs_by_tenant");
                // and a list of some states of theirs reads those states' alone, not their whole history
                var running = java.util.EnumSet.of(JobState.RUNNING, JobState.QUEUED);
                assertThat(queryPlan(other, "SELECT seq FROM jobs" + SqliteQueueBackend.indexFor(
                        new JobQuery(running, null, 50, "t", null)) + "WHERE json_extract(spec, '$.tenant') = 't'"
                        + " AND state IN ('RUNNING', 'QUEUED') ORDER BY seq DESC LIMIT 51")).contains("state=?");
                assertThat(queryPlan(other, "SELECT seq FROM jobs" + SqliteQueueBackend.indexFor(
                        new JobQuery(running, null, 50, null, "n1")) + "WHERE node = 'n1'"
                        + " AND state IN ('RUNNING', 'QUEUED') ORDER BY seq DESC LIMIT 51")).contains("state=?");
            }
        }
    }

    private static String queryPlan(Connection c, String query) throws SQLException {
        var plan = new StringBuilder();
        try (Statement s = c.createStatement(); var rows = s.executeQuery("EXPLAIN QUERY PLAN " + query)) {
            while (rows.next()) {
                plan.append(rows.getString("detail")).append('\n');
            }
        }
        return plan.toString();
    }

    @Test
    void aJobStoredByAVersionWithAnotherFieldIsStillReadAndLeased() throws Exception {
        Path file = dir.resolve("hangar.db");
        try (QueueBackend queue = SqliteQueueBackend.open(file, clock)) {
            String id = queue.enqueue(TestJobs.spec("newer")).job().id();
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
                    Statement s = other.createStatement()) {
                s.executeUpdate("UPDATE jobs SET spec = json_set(spec, '$.fieldOfANewerVersion', 1) WHERE id = '" + id + "'");
            }

            assertThat(queue.lease(TestJobs.worker("w1")).orElseThrow().jobId()).isEqualTo(id);
            assertThat(queue.get(id).orElseThrow().spec().name()).isEqualTo("newer");
        }
    }

    @Test
    void aStoreKeepsItsRetentionForAnOpenThatGivesNoneAndSaysSoWhenAnotherIsGiven() {
        var provider = new SqliteQueueBackendProvider();
        String file = "sqlite:" + dir.resolve("kept.db");
        String id;
        try (QueueBackend queue = provider.open(java.net.URI.create(file + "?retention=P30D"), clock)) {
            id = queue.enqueue(TestJobs.spec("cancelled")).job().id();
            queue.cancel(id);
        }
        clock.advance(java.time.Duration.ofDays(10));
        try (QueueBackend queue = provider.open(java.net.URI.create(file), clock)) {
            // a start without --retention took the default of 7 days and deleted the history the 30 days kept
            assertThat(queue.housekeeping(spec -> spec)).as("kept 30 days").isZero();
            assertThat(queue.get(id)).isPresent();
        }
        var said = new java.util.ArrayList<String>();
        var handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                said.add(record.getMessage());
            }

            @Override
            public void flush() { }

            @Override
            public void close() { }
        };
        Logger logger = Logger.getLogger(KeptRetention.class.getName());
        logger.addHandler(handler);
        try (QueueBackend queue = provider.open(java.net.URI.create(file + "?retention=P7D"), clock)) {
            assertThat(queue.housekeeping(spec -> spec)).as("7 days now").isEqualTo(1);
        } finally {
            logger.removeHandler(handler);
        }
        assertThat(said).singleElement().asString().contains("kept final jobs for P30D").contains("for P7D from now")
                .contains("those finished longer ago than that are deleted");
        assertThat(KeptRetention.said(java.time.Duration.ZERO)).isEqualTo("for ever");
        assertThat(KeptRetention.said(java.time.Duration.ofHours(36))).isEqualTo("for PT36H");
    }

    @Test
    void finalJobsAndTheirOutputAreDeletedOnceTheRetentionRunsOut() {
        try (QueueBackend queue = new SqliteQueueBackendProvider().open(
                java.net.URI.create("sqlite:" + dir.resolve("hangar.db") + "?retention=PT1H"), clock)) {
            Job done = queue.enqueue(TestJobs.spec("done").toBuilder().idempotencyKey("once").build()).job();
            Job waiting = queue.enqueue(TestJobs.spec("waiting")).job();
            var lease = queue.lease(TestJobs.worker("w1")).orElseThrow();
            queue.started(lease, "node", TestJobs.selection("process"), null);
            queue.appendLog(done.id(), 1, Stream.STDOUT, "bye".getBytes(StandardCharsets.UTF_8));
            queue.finish(lease, dev.hangar.core.queue.Outcome.succeeded(0, false)).orElseThrow();

            clock.advance(java.time.Duration.ofMinutes(59));
            assertThat(queue.housekeeping(spec -> spec)).as("within the hour").isZero();
            clock.advance(java.time.Duration.ofMinutes(2));
            assertThat(queue.housekeeping(spec -> spec)).isEqualTo(1);

            assertThat(queue.get(done.id())).isEmpty();
            assertThat(queue.readLog(done.id(), 0, 10)).isEmpty();
            assertThat(queue.get(waiting.id())).as("not final: kept").isPresent();
            assertThat(queue.countByState().get(JobState.SUCCEEDED)).isZero();
            assertThat(queue.enqueue(TestJobs.spec("again").toBuilder().idempotencyKey("once").build()).created())
                    .as("the key went with its job").isTrue();
        }
        assertThatThrownBy(() -> new SqliteQueueBackendProvider().open(
                java.net.URI.create("sqlite:" + dir.resolve("other.db") + "?keep=P1D"), clock))
                .hasMessageContaining("takes one parameter, retention=P7D");
        assertThatThrownBy(() -> new SqliteQueueBackendProvider().open(
                java.net.URI.create("sqlite:" + dir.resolve("other.db") + "?retention=P9999D"), clock))
                .hasMessageContaining("retention: must be from P0D");
    }

    private final java.util.concurrent.atomic.AtomicLong monotonic = new java.util.concurrent.atomic.AtomicLong();

    private QueueBackend withMonotonicClock() {
        return SqliteQueueBackend.open(dir.resolve("hangar.db"), clock, java.time.Duration.ofDays(7),
                new WallClockJumps(clock, monotonic::get));
    }

    private void bothClocksAdvance(java.time.Duration by) {
        clock.advance(by);
        monotonic.addAndGet(by.toNanos());
    }

    @Test
    void aLeaseDoesNotLapseWhenTheWallClockJumpsAheadOfTheMonotonicOneAsAfterTheHostSlept() {
        try (QueueBackend queue = withMonotonicClock()) {
            queue.enqueue(TestJobs.spec("through-the-night"));
            var lease = queue.lease(TestJobs.worker("w1")).orElseThrow();
            assertThat(queue.requeueExpired()).isZero();

            clock.advance(java.time.Duration.ofHours(8)); // asleep: the monotonic clock stood still
            assertThat(queue.requeueExpired()).as("the lease's holder slept with it").isZero();
            assertThat(queue.renew(lease)).isEqualTo(dev.hangar.core.queue.LeaseStatus.HELD);

            bothClocksAdvance(java.time.Duration.ofMinutes(10)); // awake, and the holder gone quiet
            assertThat(queue.requeueExpired()).as("a lease that lapsed on both clocks").isEqualTo(1);
        }
    }

    @Test
    void aRetrysBackoffIsNotPutOffByTheWallClockSetBackNorByOneSetBackWhileTheNodeWasDown() {
        java.time.Instant failedAt;
        try (QueueBackend queue = withMonotonicClock()) {
            queue.enqueue(TestJobs.spec("retried").toBuilder().retry(new dev.hangar.core.job.RetryPolicy(3, 30.0, null)).build());
            var lease = queue.lease(TestJobs.worker("w1")).orElseThrow();
            queue.finish(lease, dev.hangar.core.queue.Outcome.failed(1, "exit code 1", false)).orElseThrow();
            failedAt = clock.instant();
            assertThat(queue.requeueExpired()).isZero();

            clock.set(failedAt.minus(java.time.Duration.ofHours(1))); // NTP set the clock back an hour
            assertThat(queue.requeueExpired()).isZero();
            bothClocksAdvance(java.time.Duration.ofSeconds(34)); // past a 30 s backoff drawn up to a tenth longer
            // it waited an hour and 30 s
            assertThat(queue.lease(TestJobs.worker("w2"))).as("30 s after it failed, by the clock that ran").isPresent();
        }
        try (QueueBackend queue = withMonotonicClock()) {
            queue.enqueue(TestJobs.spec("retried-again").toBuilder().retry(new dev.hangar.core.job.RetryPolicy(3, 30.0, null))
                    .build());
            var lease = queue.lease(TestJobs.worker("w3")).orElseThrow();
            queue.finish(lease, dev.hangar.core.queue.Outcome.failed(1, "exit code 1", false)).orElseThrow();
        }
        clock.set(clock.instant().minus(java.time.Duration.ofDays(3))); // set back while no node ran
        try (QueueBackend queue = withMonotonicClock()) {
            queue.requeueExpired();
            bothClocksAdvance(java.time.Duration.ofDays(1).plusSeconds(1));
            assertThat(queue.lease(TestJobs.worker("w4"))).as("within a day, the longest backoff, not three").isPresent();
        }
    }

    @Test
    void everyLeaseHeldIsGivenBackWhateverItsHoldersName() {
        try (SqliteQueueBackend queue = SqliteQueueBackend.open(dir.resolve("renamed.db"), clock)) {
            String id = queue.enqueue(TestJobs.spec("held-under-an-old-name")).job().id();
            var lease = queue.lease(TestJobs.worker("old-host-name")).orElseThrow();
            queue.starting(lease, "old-host-name", TestJobs.selection("process"));
            queue.enqueue(TestJobs.spec("queued"));

            // the node started again under another name: its release of its own leases missed this one
            assertThat(queue.releaseLeasesOf("new-host-name")).isZero();
            assertThat(queue.releaseEveryLease()).isEqualTo(1);

            Job back = queue.get(id).orElseThrow();
            assertThat(back.state()).isEqualTo(JobState.QUEUED);
            assertThat(back.deliveries()).as("a delivery lost, not an attempt").isEqualTo(1);
            assertThat(back.attempt()).isZero();
            assertThat(queue.releaseEveryLease()).isZero();
        }
    }

    @Test
    void aLeaseGrantedAfterAJumpAheadIsNotMovedByIt() {
        try (QueueBackend queue = withMonotonicClock()) {
            queue.enqueue(TestJobs.spec("before"));
            queue.enqueue(TestJobs.spec("after"));
            queue.lease(TestJobs.worker("w1")).orElseThrow();
            assertThat(queue.requeueExpired()).isZero();
            clock.advance(java.time.Duration.ofHours(8));
            queue.lease(TestJobs.worker("w2")).orElseThrow(); // on the clock as it is now: before the jump was seen

            assertThat(queue.requeueExpired()).isZero();
            bothClocksAdvance(java.time.Duration.ofMinutes(1)); // both holders gone quiet

            assertThat(queue.requeueExpired()).as("each lapsed a term after the jump, none 8 h later").isEqualTo(2);
        }
    }

    @Test
    void aStepBackDoesNotKeepAVanishedHoldersLeaseForTheLengthOfTheStep() {
        try (QueueBackend queue = withMonotonicClock()) {
            queue.enqueue(TestJobs.spec("held"));
            queue.lease(TestJobs.worker("w1")).orElseThrow();
            assertThat(queue.requeueExpired()).isZero();

            clock.set(clock.instant().minus(java.time.Duration.ofHours(1)));
            assertThat(queue.requeueExpired()).isZero();
            bothClocksAdvance(java.time.Duration.ofMinutes(1)); // its holder gone quiet

            assertThat(queue.requeueExpired()).isEqualTo(1);
        }
    }

    @Test
    void aClockSteppedBackADayDoesNotPutTheNextSweepOffByADay() {
        try (QueueBackend queue = new SqliteQueueBackendProvider().open(
                java.net.URI.create("sqlite:" + dir.resolve("hangar.db") + "?retention=PT1H"), clock)) {
            assertThat(queue.housekeeping(spec -> spec)).isZero();
            clock.set(clock.instant().minus(java.time.Duration.ofDays(1)));
            queue.cancel(queue.enqueue(TestJobs.spec("old")).job().id());
            clock.advance(java.time.Duration.ofMinutes(61));

            assertThat(queue.housekeeping(spec -> spec)).isEqualTo(1);
        }
    }

    @Test
    void aBacklogOfExpiredJobsIsDeletedAShareAPassAndTheNextPassGoesOnAtOnce() {
        int perPass = SqliteQueueBackend.DELETE_BATCH * SqliteQueueBackend.DELETE_BATCHES_PER_PASS;
        try (QueueBackend queue = new SqliteQueueBackendProvider().open(
                java.net.URI.create("sqlite:" + dir.resolve("hangar.db") + "?retention=PT1H"), clock)) {
            for (int i = 0; i < perPass + 100; i++) {
                queue.cancel(queue.enqueue(TestJobs.spec("old-" + i)).job().id());
            }
            clock.advance(java.time.Duration.ofHours(2));

            assertThat(queue.housekeeping(spec -> spec)).as("a share: the store's lock is not held for the whole backlog")
                    .isEqualTo(perPass);
            assertThat(queue.housekeeping(spec -> spec)).as("the rest, at once").isEqualTo(100);
            assertThat(queue.countByState().get(JobState.CANCELLED)).isZero();
        }
    }

    @Test
    void aNewStoreAndItsWriteAheadLogAreReadableByTheirOwnerAlone() throws Exception {
        Path file = dir.resolve("hangar.db");
        try (QueueBackend queue = SqliteQueueBackend.open(file, clock)) {
            queue.enqueue(TestJobs.spec("secret"));
            for (String name : new String[] {"hangar.db", "hangar.db-wal"}) {
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                        java.nio.file.Files.getPosixFilePermissions(dir.resolve(name)))).as(name).isEqualTo("rw-------");
            }
        }
    }

    @Test
    void reopeningAnExistingFileKeepsItsJobs() {
        Path file = dir.resolve("hangar.db");
        String id;
        try (QueueBackend queue = SqliteQueueBackend.open(file, clock)) {
            id = queue.enqueue(TestJobs.spec("kept")).job().id();
        }
        try (QueueBackend queue = SqliteQueueBackend.open(file, clock)) {
            assertThat(queue.get(id)).hasValueSatisfying(job -> assertThat(job.state()).isEqualTo(JobState.QUEUED));
        }
    }

    @Test
    void theProviderIsFoundAndCreatesTheDirectory() {
        QueueBackendProvider provider = ServiceLoader.load(QueueBackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.schemes().contains("sqlite"))
                .findFirst().orElseThrow();
        Path file = dir.resolve("nested/deeper/hangar.db");

        try (QueueBackend queue = provider.open(URI.create("sqlite:" + file), clock)) {
            assertThat(queue.name()).isEqualTo("sqlite");
            queue.enqueue(TestJobs.spec("first"));
        }
        assertThat(file).exists();
    }

    @Test
    void theProviderRefusesALocationWithoutAFile() {
        var provider = new SqliteQueueBackendProvider();
        assertThatThrownBy(() -> provider.open(URI.create("sqlite://host"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a file");
        assertThatThrownBy(() -> provider.open(URI.create("sqlite:/var/lib/"), clock))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> provider.open(URI.create("sqlite://data/hangar.db"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("a sqlite location has no host");
        assertThatThrownBy(() -> provider.open(URI.create("sqlite:" + dir.resolve("queue#1.db")), clock))
                .as("a file name cut at its '#'").isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("a sqlite location has no fragment");
        assertThat(dir.resolve("queue")).doesNotExist();
        assertThatThrownBy(() -> provider.open(URI.create("sqlite:/var/lib/h.db?retention=P1D&retention=P30D"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("retention is given twice");
        assertThatThrownBy(() -> provider.open(URI.create("redis://localhost/0"), clock))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jobIdsAreShortUrlSafeAndSortByTime() {
        try (QueueBackend queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), clock)) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ids.add(queue.enqueue(TestJobs.spec("job-" + i)).job().id());
                clock.advanceMillis(1);
            }
            assertThat(ids).allSatisfy(id -> assertThat(id).matches("j-[0-9a-hjkmnp-tv-z]{20}"));
            assertThat(ids).isSorted();
        }
    }

    @Test
    void aClosedQueueRefusesWork() {
        QueueBackend queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), clock);
        queue.close();
        queue.close(); // twice is harmless
        assertThatThrownBy(() -> queue.enqueue(TestJobs.spec("late"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> queue.get("j-x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void twoProcessesOnOneFileNeverLeaseAJobTwice() throws Exception {
        // two backends on one file stand for two processes: SQLite's own locking must keep them apart
        Path file = dir.resolve("shared.db");
        try (QueueBackend a = SqliteQueueBackend.open(file, clock); QueueBackend b = SqliteQueueBackend.open(file, clock)) {
            for (int i = 0; i < 100; i++) {
                (i % 2 == 0 ? a : b).enqueue(TestJobs.spec("job-" + i));
            }
            ConcurrentLinkedQueue<String> leased = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> workers = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    QueueBackend queue = w % 2 == 0 ? a : b;
                    String worker = "w" + w;
                    workers.add(pool.submit(() -> {
                        Optional<Lease> lease;
                        while ((lease = queue.lease(TestJobs.worker(worker))).isPresent()) {
                            leased.add(lease.get().jobId());
                        }
                    }));
                }
                for (Future<?> f : workers) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(leased).hasSize(100).doesNotHaveDuplicates();
        }
    }

    @Test
    void aFailingListenerIsLoggedWithItsException() throws Exception {
        Logger log = Logger.getLogger(QueueListeners.class.getName());
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(capture);
        log.setUseParentHandlers(false);
        try (QueueBackend queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), clock);
                AutoCloseable handle = queue.subscribe(new QueueListener() {
                    @Override
                    public void jobChanged(Job job) {
                        throw new IllegalStateException("listener bug");
                    }
                })) {
            queue.enqueue(TestJobs.spec("first"));
        } finally {
            log.removeHandler(capture);
            log.setUseParentHandlers(true);
        }
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.getLevel()).isEqualTo(Level.WARNING);
            assertThat(r.getThrown()).hasMessage("listener bug");
        });
    }

    private static String pragma(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
