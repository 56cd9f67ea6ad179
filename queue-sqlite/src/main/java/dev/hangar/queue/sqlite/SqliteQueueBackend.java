package dev.hangar.queue.sqlite;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.RetryPolicy;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Trust;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.AttemptVerdict;
import dev.hangar.core.queue.Enqueued;
import dev.hangar.core.queue.JobPage;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.queue.LeaseStatus;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.queue.PageCursor;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.queue.StartRecord;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.select.Selection;
import dev.hangar.queue.sqlite.ListenerRegistry.Notices;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The embedded default queue: one SQLite file. Every change is one transaction; every write under
 * a lease matches the lease token and asks {@link JobState#canMoveTo} first, so a worker that lost
 * its lease can never write, and a job reaches exactly one final state.
 */
public final class SqliteQueueBackend implements QueueBackend {
    /** How far down the queue a lease looks for a job whose runtime, network and image the worker has. */
    private static final int RUNTIME_SCAN = 1000;
    private static final String RELEASE_LEASE =
            "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, lease_ms = NULL";
    /** What an attempt recorded of its sandbox, cleared when a new attempt begins. */
    private static final String NO_SANDBOX =
            "sandbox_ready_at = NULL, start_path = NULL, sandbox_id = NULL, sandbox_created_at = NULL";

    private final SqliteDatabase db;
    private final Clock clock;
    private final JobIds ids = new JobIds();
    private final ListenerRegistry listeners = new ListenerRegistry();
    /** Whether the backoffs were bounded once since the store was opened (see {@link #requeueExpired}). */
    private volatile boolean backoffsChecked;
    private final Object requeueing = new Object();

    /** How long a final job and its output are kept by default, as on Redis. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    /**
     * Final jobs one delete takes: the store's lock is held meanwhile, and freeing a job's output
     * costs by its size, which may be megabytes (the default output limit is 10 MiB).
     */
    static final int DELETE_BATCH = 50;
    /**
     * Deletes one housekeeping pass makes at most: a backlog of expired jobs (a lowered retention, a
     * first start after an upgrade) is taken a share per pass, and the next pass goes on at once.
     */
    static final int DELETE_BATCHES_PER_PASS = 20;

    /** How often housekeeping looks for expired jobs: a look takes the store's write lock. */
    private static final Duration SWEEP_EVERY = Duration.ofSeconds(10);

    private final Duration retention;
    private final WallClockJumps jumps;
    private volatile long nextSweepMillis;

    private SqliteQueueBackend(SqliteDatabase db, Clock clock, Duration retention, WallClockJumps jumps) {
        this.db = db;
        this.clock = clock;
        this.retention = retention;
        this.jumps = jumps;
    }

    /** Opens (creating if absent) the queue in this file, with the retention it keeps; its directory must exist. */
    public static SqliteQueueBackend open(Path file, Clock clock) {
        return open(file, clock, null);
    }

    /**
     * As {@link #open(Path, Clock)}, keeping final jobs for {@code retention} (zero: for ever), which the store keeps
     * for the next open; null for the one it keeps ({@link #DEFAULT_RETENTION} for a new store).
     */
    public static SqliteQueueBackend open(Path file, Clock clock, Duration retention) {
        return open(file, clock, retention, new WallClockJumps(Objects.requireNonNull(clock, "clock")));
    }

    /** As {@link #open(Path, Clock, Duration)}, the wall clock's jumps told by {@code jumps}. */
    static SqliteQueueBackend open(Path file, Clock clock, Duration retention, WallClockJumps jumps) {
        if (retention != null && retention.isNegative()) {
            throw new IllegalArgumentException("retention must not be negative, got " + retention);
        }
        SqliteDatabase db = SqliteDatabase.open(file);
        try {
            return new SqliteQueueBackend(db, clock, KeptRetention.settle(db, retention, file), jumps);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** Deletes the final jobs, with their output, whose retention has run out; returns how many. */
    @Override
    public int housekeeping(UnaryOperator<JobSpec> validate) {
        long now = clock.millis();
        // why the second bound: a wall clock stepped back (NTP after a boot with the clock ahead) must not put the
        // next sweep off by the step, while the store grows
        if (retention.isZero() || (now < nextSweepMillis && now >= nextSweepMillis - SWEEP_EVERY.toMillis())) {
            return 0;
        }
        long before = now - retention.toMillis();
        // why before the deletes: a pass that fails (a full disk) waits its turn rather than taking the lock each tick
        nextSweepMillis = now + SWEEP_EVERY.toMillis();
        int deleted = 0;
        for (int pass = 0; pass < DELETE_BATCHES_PER_PASS; pass++) {
            // why in batches: each holds the one lock that every lease, renewal and read waits for
            int batch = write((c, notices) -> {
                String expired = "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? ORDER BY finished_at"
                        + " LIMIT " + DELETE_BATCH;
                Sql.update(c, "DELETE FROM logs WHERE job_id IN (" + expired + ")", before);
                return Sql.update(c, "DELETE FROM jobs WHERE id IN (" + expired + ")", before);
            });
            deleted += batch;
            if (batch < DELETE_BATCH) {
                return deleted;
            }
            if (db.othersWaiting()) {
                break; // a lease renewal waits: it goes first, the sweep goes on at the next pass
            }
        }
        nextSweepMillis = now; // a backlog: the next pass goes on with it at once
        return deleted;
    }

    @Override
    public String name() {
        return "sqlite";
    }

    // ---- work side -----------------------------------------------------------------------------

    @Override
    public Enqueued enqueue(JobSpec spec) {
        String specJson = Json.write(spec);
        return write((c, notices) -> {
            Optional<Job> earlier = spec.idempotencyKey() == null ? Optional.empty() : byIdempotencyKey(c, spec);
            if (earlier.isPresent()) {
                return new Enqueued(earlier.get(), false);
            }
            Instant now = clock.instant();
            String id = ids.next(now);
            Sql.update(c, """
                    INSERT INTO jobs (id, state, priority, cpus, memory_mb, gpus, idempotency_key, submitted_at, spec)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    id, JobState.QUEUED.name(), spec.priority(), spec.resources().cpus(), spec.resources().memoryMb(),
                    spec.gpusWanted(), spec.idempotencyScope(), now.toEpochMilli(), specJson);
            Job job = reload(c, id);
            notices.jobChanged(job);
            return new Enqueued(job, true);
        });
    }

    @Override
    public Optional<Lease> lease(LeaseRequest request) {
        request.validated();
        return write((c, notices) -> lease(c, notices, request));
    }

    private Optional<Lease> lease(Connection c, Notices notices, LeaseRequest request) throws SQLException {
        long leaseMs = request.leaseFor().toMillis();
        long now = clock.millis();
        Optional<Long> next = nextFitting(c, request, now);
        if (next.isEmpty()) {
            return Optional.empty();
        }
        String token = UUID.randomUUID().toString();
        // a new attempt, on the worker's node from now: what the previous one left (result, timings) is cleared
        Sql.update(c, "UPDATE jobs SET state = ?, lease_owner = ?, lease_token = ?, lease_expires_at = ?, lease_ms = ?,"
                + " attempt = attempt + 1, deliveries = deliveries + 1, not_before = NULL, scheduled_at = ?,"
                + " starting_at = NULL, running_at = NULL, finished_at = NULL, node = ?, runtime = NULL,"
                + " selection = NULL, exit_code = NULL, error = NULL, output_truncated = 0, log_chunk = 0, " + NO_SANDBOX
                + " WHERE seq = ?",
                JobState.SCHEDULED.name(), request.workerId(), token, now + leaseMs, leaseMs, now, request.workerId(),
                next.get());
        Job job = JobRows.one(c, "WHERE seq = ?", next.get()).orElseThrow();
        notices.jobChanged(job);
        return Optional.of(new Lease(job.id(), token, request.workerId(), job));
    }

    /**
     * The most urgent due job that fits the room in SQL, then the first of those (in the same order)
     * whose runtime (memory floor included), network, GPU passthrough, image, mount roots and node labels the
     * worker has; that test reads the spec, so only workers that say what they have pay it, and only for the
     * jobs ahead of the one they take. A worker without labels skips, in SQL, the jobs that select nodes by
     * label, so that such a job never holds up the one behind it.
     */
    private static Optional<Long> nextFitting(Connection c, LeaseRequest request, long now) throws SQLException {
        return Sql.first(c, """
                SELECT seq, json_extract(spec, '$.runtime'), json_extract(spec, '$.profile.trust'),
                       json_extract(spec, '$.profile.needs.network'), json_extract(spec, '$.image'),
                       (SELECT json_group_array(json_extract(m.value, '$.hostPath'))
                        FROM json_each(jobs.spec, '$.mounts') m), gpus, memory_mb,
                       json_extract(spec, '$.nodeSelector') FROM jobs
                WHERE state = ? AND (not_before IS NULL OR not_before <= ?)
                  AND cpus <= ? AND memory_mb <= ? AND gpus <= ?
                  AND (? OR json_extract(spec, '$.nodeSelector') IS NULL)
                ORDER BY priority DESC, seq
                LIMIT ?""",
                rs -> new Candidate(rs.getLong(1), rs.getString(2), Trust.UNTRUSTED.name().equals(rs.getString(3)),
                        rs.getInt(4) == 1, rs.getInt(7) > 0, rs.getLong(8), rs.getString(5), rs.getString(6),
                        rs.getString(9)),
                job -> request.hasRuntimeFor(job.pinnedRuntime(), job.untrusted(), job.needsNetwork(), job.needsGpu(),
                        job.memoryMb())
                        && request.hasImage(job.image()) && request.hasMountsFor(mountPaths(job.mountPathsJson()))
                        && (job.nodeSelectorJson() == null || request.hasLabelsFor(labels(job.nodeSelectorJson()))),
                JobState.QUEUED.name(), now, request.freeCpus(), request.freeMemoryMb(), request.freeGpus(),
                request.labels().isEmpty() ? 0 : 1,
                request.saysNothingOfWhatItHas() ? 1 : RUNTIME_SCAN).map(Candidate::seq);
    }

    /** The host paths of a job's mounts as a lease matches them (see {@link MountPolicy#byName}), from a JSON array. */
    private static List<String> mountPaths(String json) {
        return MountPolicy.namesForLease(Arrays.asList(Json.read(json, String[].class)));
    }

    /** A job's node selector, from its JSON object. */
    @SuppressWarnings("unchecked") // the spec was validated as it was stored: its values are strings
    private static Map<String, String> labels(String json) {
        return Json.read(json, Map.class);
    }

    private record Candidate(long seq, String pinnedRuntime, boolean untrusted, boolean needsNetwork, boolean needsGpu,
            long memoryMb, String image, String mountPathsJson, String nodeSelectorJson) {}

    @Override
    public LeaseStatus renew(Lease lease) {
        return write((c, notices) -> {
            // the token is on the job exactly while the lease is held: expiry alone does not take it away,
            // requeueExpired (or a finish) does
            int renewed = Sql.update(c, "UPDATE jobs SET lease_expires_at = ? + lease_ms WHERE id = ? AND lease_token = ?",
                    clock.millis(), lease.jobId(), lease.token());
            if (renewed == 0) {
                return LeaseStatus.LOST;
            }
            boolean cancel = Sql.queryOne(c, "SELECT cancel_requested FROM jobs WHERE id = ?",
                    rs -> rs.getInt(1) != 0, lease.jobId()).orElse(false);
            return cancel ? LeaseStatus.CANCEL_REQUESTED : LeaseStatus.HELD;
        });
    }

    @Override
    public boolean starting(Lease lease, String node, Selection selection) {
        String selectionJson = selection == null ? null : Json.write(selection);
        String runtime = selection == null ? null : selection.runtime();
        return moveUnderLease(lease, JobState.STARTING, "node = ?, runtime = ?, selection = ?, starting_at = ?",
                node, runtime, selectionJson, clock.millis());
    }

    @Override
    public boolean running(Lease lease) {
        return moveUnderLease(lease, JobState.RUNNING, "running_at = ?", clock.millis());
    }

    @Override
    public boolean running(Lease lease, StartRecord start) {
        if (start == null) {
            return running(lease);
        }
        return moveUnderLease(lease, JobState.RUNNING,
                "running_at = ?, sandbox_ready_at = ?, start_path = ?, sandbox_id = ?, sandbox_created_at = ?",
                clock.millis(), JobRows.millis(start.sandboxReadyAt()), start.path().name(), start.sandboxId(),
                JobRows.millis(start.sandboxCreatedAt()));
    }

    /** One transaction: what {@link #starting} and {@link #running(Lease, StartRecord)} record, SCHEDULED → RUNNING. */
    @Override
    public boolean started(Lease lease, String node, Selection selection, StartRecord start) {
        String selectionJson = selection == null ? null : Json.write(selection);
        String runtime = selection == null ? null : selection.runtime();
        long now = clock.millis();
        return moveUnderLease(lease, JobState.SCHEDULED, JobState.RUNNING,
                "node = ?, runtime = ?, selection = ?, starting_at = ?, running_at = ?, sandbox_ready_at = ?,"
                        + " start_path = ?, sandbox_id = ?, sandbox_created_at = ?",
                node, runtime, selectionJson, now, now,
                start == null ? null : JobRows.millis(start.sandboxReadyAt()), start == null ? null : start.path().name(),
                start == null ? null : start.sandboxId(), start == null ? null : JobRows.millis(start.sandboxCreatedAt()));
    }

    private boolean moveUnderLease(Lease lease, JobState target, String assignments, Object... values) {
        return moveUnderLease(lease, null, target, assignments, values);
    }

    /** Moves the held job to {@code target}, from {@code from} only if that is not null. */
    private boolean moveUnderLease(Lease lease, JobState from, JobState target, String assignments, Object... values) {
        return write((c, notices) -> {
            Optional<Job> held = heldBy(c, lease);
            if (held.isEmpty() || (from == null ? !held.get().state().canMoveTo(target) : held.get().state() != from)) {
                return false;
            }
            List<Object> params = new ArrayList<>(List.of(target.name()));
            Collections.addAll(params, values);
            params.add(lease.jobId());
            params.add(lease.token());
            Sql.update(c, "UPDATE jobs SET state = ?, " + assignments + " WHERE id = ? AND lease_token = ?",
                    params.toArray());
            notices.jobChanged(reload(c, lease.jobId()));
            return true;
        });
    }

    @Override
    public Optional<Job> finish(Lease lease, Outcome outcome) {
        Objects.requireNonNull(outcome, "outcome");
        return write((c, notices) -> finish(c, notices, lease, outcome));
    }

    /** One transaction: {@link #finish}, then {@link #lease}, each as alone. */
    @Override
    public Optional<Lease> finishAndLease(Lease lease, Outcome outcome, LeaseRequest next) {
        Objects.requireNonNull(outcome, "outcome");
        next.validated();
        return write((c, notices) -> {
            finish(c, notices, lease, outcome);
            return lease(c, notices, next);
        });
    }

    private Optional<Job> finish(Connection c, Notices notices, Lease lease, Outcome outcome) throws SQLException {
        Optional<Job> held = heldBy(c, lease);
        if (held.isEmpty()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        AttemptVerdict verdict = AttemptVerdict.afterOutcome(held.get(), outcome, now);
        if (!held.get().state().canMoveTo(verdict.state())) {
            return Optional.empty();
        }
        Sql.update(c, "UPDATE jobs SET state = ?, " + RELEASE_LEASE + ", not_before = ?, finished_at = ?,"
                + " exit_code = ?, error = ?, output_truncated = ? WHERE id = ? AND lease_token = ?",
                verdict.state().name(), JobRows.millis(verdict.notBefore()),
                verdict.state().isFinal() ? now.toEpochMilli() : null,
                outcome.exitCode(), verdict.error(), outcome.outputTruncated(), lease.jobId(), lease.token());
        Job job = reload(c, lease.jobId());
        notices.jobChanged(job);
        return Optional.of(job);
    }

    @Override
    public Optional<Job> cancel(String jobId) {
        return write((c, notices) -> {
            Optional<Job> found = JobRows.one(c, "WHERE id = ?", jobId);
            if (found.isEmpty() || found.get().isFinal()) {
                return found;
            }
            Job job = found.get();
            if (job.state() == JobState.QUEUED) {
                Sql.update(c, "UPDATE jobs SET state = ?, cancel_requested = 1, not_before = NULL, finished_at = ?,"
                        + " exit_code = NULL, error = ? WHERE id = ?", JobState.CANCELLED.name(),
                        clock.millis(), AttemptVerdict.cancelledWhileQueued(job), jobId);
            } else if (!job.cancelRequested()) {
                // leased: its worker learns on its next renew, stops the job and finishes it CANCELLED
                Sql.update(c, "UPDATE jobs SET cancel_requested = 1 WHERE id = ?", jobId);
            } else {
                return found;
            }
            Job changed = reload(c, jobId);
            notices.jobChanged(changed);
            return Optional.of(changed);
        });
    }

    @Override
    public int requeueExpired() {
        // why one pass at a time: two (the agent's and the upkeep's) that looked before either took its look would
        // both move the backoffs by one jump; the leases' move is bounded, theirs is not
        synchronized (requeueing) {
            return requeueExpiredNow();
        }
    }

    private int requeueExpiredNow() {
        WallClockJumps.Look look = jumps.look();
        boolean first = !backoffsChecked;
        int taken = write((c, notices) -> {
            if (look.jumpMillis() != 0) {
                // ahead: the leases' holders stood still with the clock that measures them, so none lapsed by the
                // jump; back: none is held longer for it. Either way no lease ends later than a term from now (one
                // granted after the jump has its term already), so a jump moved twice moves no lease further.
                Sql.update(c, "UPDATE jobs SET lease_expires_at = MIN(lease_expires_at + ?, ? + lease_ms)"
                        + " WHERE lease_token IS NOT NULL", Math.max(0, look.jumpMillis()), look.wallMillis());
            }
            if (look.jumpMillis() < 0) {
                // a clock set back an hour made a 30 s backoff an hour's; why not ahead too: a backoff begun after the
                // jump and before this look would be put off by it, where one that ends early costs a retry's wait
                Sql.update(c, "UPDATE jobs SET not_before = not_before + ? WHERE not_before IS NOT NULL", look.jumpMillis());
            }
            if (first) {
                // a clock set back while the node was down is no jump a look can see: no backoff is longer than a day
                long latest = look.wallMillis() + (long) (RetryPolicy.MOST_SECONDS * 1000);
                Sql.update(c, "UPDATE jobs SET not_before = ? WHERE not_before > ?", latest, latest);
            }
            return takeBack(c, notices,
                    JobRows.all(c, "WHERE lease_token IS NOT NULL AND lease_expires_at < ?", clock.millis()));
        });
        jumps.take(look);
        backoffsChecked = true;
        return taken;
    }

    /**
     * Gives back every lease held, as lost: for a store one node alone uses, as that node starts, when every lease
     * is a run of its last process. Those held under another name (the host renamed, or its name not resolved at the
     * last start) waited out their term, their jobs shown running on a node that is no more.
     */
    public int releaseEveryLease() {
        return write((c, notices) -> takeBack(c, notices, JobRows.all(c, "WHERE lease_token IS NOT NULL")));
    }

    @Override
    public int releaseLeasesOf(String workerId) {
        return releaseLeasesOf(workerId, Set.of());
    }

    @Override
    public int releaseLeasesOf(String workerId, Set<String> keepTokens) {
        return write((c, notices) -> takeBack(c, notices, leasedTo(c, workerId, keepTokens)));
    }

    @Override
    public int handBackAtStop(String workerId, Set<String> keepTokens) {
        return write((c, notices) -> {
            List<Job> jobs = leasedTo(c, workerId, keepTokens);
            for (Job job : jobs) {
                takeBack(c, notices, job, AttemptVerdict.afterStop(job), true);
            }
            return jobs.size();
        });
    }

    /** The jobs this worker holds leases of, but those with these tokens. */
    private static List<Job> leasedTo(Connection c, String workerId, Set<String> keepTokens) throws SQLException {
        List<Object> params = new ArrayList<>(keepTokens.size() + 1);
        params.add(workerId);
        params.addAll(keepTokens);
        String keep = keepTokens.isEmpty() ? ""
                : " AND lease_token NOT IN (" + String.join(", ", Collections.nCopies(keepTokens.size(), "?")) + ")";
        return JobRows.all(c, "WHERE lease_token IS NOT NULL AND lease_owner = ?" + keep, params.toArray());
    }

    @Override
    public Optional<Job> giveBack(Lease lease, String reason) {
        return write((c, notices) -> {
            Optional<Job> held = heldBy(c, lease);
            if (held.isEmpty()) {
                return Optional.empty();
            }
            takeBack(c, notices, held.get(), AttemptVerdict.afterGiveBack(held.get(), reason, stopsOf(c, held.get())), false);
            return Optional.of(reload(c, lease.jobId()));
        });
    }

    /** Takes jobs away from a worker that is gone: back to QUEUED at once, or to their end. */
    private int takeBack(Connection c, Notices notices, List<Job> jobs) throws SQLException {
        for (Job job : jobs) {
            takeBack(c, notices, job, AttemptVerdict.afterLostLease(job, stopsOf(c, job)), false);
        }
        return jobs.size();
    }

    /** The job's deliveries handed back at a worker's stop (see JobQueue#handBackAtStop). */
    private static int stopsOf(Connection c, Job job) throws SQLException {
        return Sql.query(c, "SELECT stops FROM jobs WHERE id = ?", rs -> rs.getInt(1), job.id()).stream().findFirst().orElse(0);
    }

    /** Ends the job's delivery without an attempt: back to QUEUED as before that lease, or to the verdict's end. */
    private void takeBack(Connection c, Notices notices, Job job, AttemptVerdict verdict, boolean atStop)
            throws SQLException {
        if (!job.state().canMoveTo(verdict.state())) {
            throw new IllegalStateException("job " + job.id() + " holds a lease in state " + job.state());
        }
        if (verdict.state() == JobState.QUEUED) {
            // the lost delivery was not an attempt: its number and timings are as before that lease (the result of an
            // earlier failed attempt, cleared by the lease, stays cleared: the job waits for the attempt that follows)
            Sql.update(c, "UPDATE jobs SET state = ?, " + RELEASE_LEASE + ", attempt = attempt - 1,"
                    + (atStop ? " stops = stops + 1," : "")
                    + " scheduled_at = NULL, starting_at = NULL, running_at = NULL, node = NULL, runtime = NULL,"
                    + " selection = NULL, " + NO_SANDBOX + " WHERE id = ?", verdict.state().name(), job.id());
        } else {
            Sql.update(c, "UPDATE jobs SET state = ?, " + RELEASE_LEASE + ", finished_at = ?, error = ? WHERE id = ?",
                    verdict.state().name(), clock.millis(), verdict.error(), job.id());
        }
        notices.jobChanged(reload(c, job.id()));
    }

    // ---- read side -----------------------------------------------------------------------------

    @Override
    public void ping() {
        db.read(c -> Sql.query(c, "SELECT 1 FROM jobs LIMIT 1", rs -> 1));
        db.checkWritable();
    }

    @Override
    public Optional<Job> get(String jobId) {
        return db.read(c -> JobRows.one(c, "WHERE id = ?", jobId));
    }

    @Override
    public Optional<Job> findByIdempotencyKey(JobSpec spec) {
        return spec.idempotencyKey() == null ? Optional.empty() : db.read(c -> byIdempotencyKey(c, spec));
    }

    private static Optional<Job> byIdempotencyKey(Connection c, JobSpec spec) throws SQLException {
        return JobRows.one(c, "WHERE idempotency_key = ?", spec.idempotencyScope());
    }

    @Override
    public JobPage list(JobQuery query) {
        int limit = query.pageSize();
        Long before = PageCursor.decode(query.cursor());
        StringBuilder where = new StringBuilder("WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (before != null) {
            where.append(" AND seq < ?");
            params.add(before);
        }
        if (!query.states().isEmpty()) {
            where.append(" AND state IN (").append(String.join(", ", Collections.nCopies(query.states().size(), "?")))
                    .append(')');
            query.states().forEach(state -> params.add(state.name()));
        }
        if (query.tenant() != null) {
            where.append(" AND json_extract(spec, '$.tenant') = ?");
            params.add(query.tenant());
        }
        if (query.node() != null) {
            where.append(" AND node = ?");
            params.add(query.node());
        }
        where.append(" ORDER BY seq DESC LIMIT ?");
        params.add(limit + 1); // one more than asked tells whether another page follows
        String from = JobRows.SELECT + indexFor(query);
        return db.read(c -> {
            var page = new PageOfRows(limit);
            Sql.scan(c, from + where, page, params.toArray());
            return page.page();
        });
    }

    static final String BY_TENANT_AND_STATE = "jobs_by_tenant_and_state";
    static final String BY_NODE_AND_STATE = "jobs_by_node_and_state";

    /**
     * The index a list of some states of one tenant's (or node's) jobs is read by: named, as the
     * planner takes the tenant's (node's) index by seq, which gives the order but reads the tenant's
     * whole history past its jobs in other states (110 ms for 60 running jobs among 450,000).
     */
    static String indexFor(JobQuery query) {
        if (query.states().isEmpty()) {
            return "";
        }
        if (query.tenant() != null) {
            return " INDEXED BY " + BY_TENANT_AND_STATE + " ";
        }
        return query.node() != null ? " INDEXED BY " + BY_NODE_AND_STATE + " " : "";
    }

    /** Takes rows until the page is full: its limit, or {@link JobQuery#PAGE_SPEC_BYTES} of specs. */
    private static final class PageOfRows implements Sql.RowVisitor {
        private final int limit;
        private final List<Job> jobs = new ArrayList<>();
        private long lastSeq;
        private long specBytes;
        private boolean more;

        PageOfRows(int limit) {
            this.limit = limit;
        }

        @Override
        public boolean visit(ResultSet rs) throws SQLException {
            if (jobs.size() == limit || specBytes >= JobQuery.PAGE_SPEC_BYTES) {
                more = true; // a row follows the page: it is left unread
                return false;
            }
            jobs.add(JobRows.read(rs));
            lastSeq = rs.getLong("seq");
            specBytes += rs.getString("spec").getBytes(StandardCharsets.UTF_8).length;
            return true;
        }

        JobPage page() {
            return new JobPage(List.copyOf(jobs), more ? PageCursor.after(lastSeq) : null);
        }
    }

    @Override
    public Map<JobState, Long> countByState() {
        Map<JobState, Long> counts = new EnumMap<>(JobState.class);
        for (JobState state : JobState.values()) {
            counts.put(state, 0L);
        }
        db.read(c -> Sql.query(c, "SELECT state, COUNT(*) FROM jobs GROUP BY state",
                rs -> counts.put(JobState.valueOf(rs.getString(1)), rs.getLong(2))));
        return counts;
    }

    @Override
    public Optional<Job> oldest(JobState state) {
        Objects.requireNonNull(state, "state");
        // jobs_by_state (state, seq) makes this one index probe; seq follows submission order
        return db.read(c -> JobRows.one(c, "WHERE state = ? ORDER BY seq LIMIT 1", state.name()));
    }

    @Override
    public void appendLog(String jobId, int attempt, OutputSink.Stream stream, byte[] data) {
        append(jobId, attempt, null, 0, stream, data);
    }

    @Override
    public boolean appendLog(Lease lease, long chunk, OutputSink.Stream stream, byte[] data) {
        return append(lease.jobId(), -1, lease.token(), chunk, stream, data);
    }

    /**
     * With a token, only while that lease is held, and as the job's current attempt (-1: read it);
     * a chunk number above 0 is stored once under that token ({@code log_chunk} holds the last).
     */
    private boolean append(String jobId, int attempt, String token, long chunk, OutputSink.Stream stream, byte[] data) {
        Objects.requireNonNull(stream, "stream");
        if (data == null || data.length == 0) {
            return true; // an empty chunk says nothing
        }
        return write((c, notices) -> {
            record Row(JobState state, String token, int attempt, int delivery, long lastChunk) {}
            Optional<Row> job = Sql.queryOne(c,
                    "SELECT state, lease_token, attempt, deliveries, log_chunk FROM jobs WHERE id = ?",
                    rs -> new Row(JobState.valueOf(rs.getString(1)), rs.getString(2), rs.getInt(3), rs.getInt(4),
                            rs.getLong(5)),
                    jobId);
            if (job.isEmpty() || job.get().state().isFinal() || (token != null && !token.equals(job.get().token()))) {
                return false; // late output of a finished (or unknown) job, or of a run whose lease is lost
            }
            if (chunk > 0) {
                if (chunk <= job.get().lastChunk()) {
                    return true; // sent again: stored already
                }
                Sql.update(c, "UPDATE jobs SET log_chunk = ? WHERE id = ?", chunk, jobId);
            }
            Sql.update(c, "INSERT INTO logs (job_id, seq, attempt, delivery, stream, data)"
                    + " VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM logs WHERE job_id = ?), ?, ?, ?, ?)",
                    jobId, jobId, attempt < 0 ? job.get().attempt() : attempt, job.get().delivery(), stream.name(), data);
            notices.logAppended(jobId);
            return true;
        });
    }

    @Override
    public List<LogChunk> readLog(String jobId, long afterSeq, int max) {
        if (max < 1) {
            return List.of();
        }
        return db.read(c -> Sql.query(c,
                "SELECT seq, attempt, delivery, stream, data FROM logs WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                SqliteQueueBackend::chunk, jobId, afterSeq, max));
    }

    @Override
    public List<LogChunk> readLogBefore(String jobId, long beforeSeq, int max) {
        if (max < 1) {
            return List.of();
        }
        List<LogChunk> newestFirst = db.read(c -> Sql.query(c,
                "SELECT seq, attempt, delivery, stream, data FROM logs WHERE job_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                SqliteQueueBackend::chunk, jobId, beforeSeq, max));
        return newestFirst.reversed();
    }

    private static LogChunk chunk(java.sql.ResultSet rs) throws SQLException {
        return new LogChunk(rs.getLong(1), rs.getInt(2), rs.getInt(3), OutputSink.Stream.valueOf(rs.getString(4)),
                rs.getBytes(5));
    }

    @Override
    public AutoCloseable subscribe(QueueListener listener) {
        return listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void close() {
        db.close();
    }

    // ---- plumbing ------------------------------------------------------------------------------

    private interface Change<T> {
        T run(Connection connection, Notices notices) throws SQLException;
    }

    /**
     * One transaction; listeners hear of its changes once it committed, outside the lock, and in the
     * order of the commits (see {@link ListenerRegistry}).
     */
    private <T> T write(Change<T> change) {
        Notices notices = new Notices();
        T result = db.write(c -> change.run(c, notices), () -> listeners.committed(notices));
        listeners.publish();
        return result;
    }

    private static Optional<Job> heldBy(Connection c, Lease lease) throws SQLException {
        return JobRows.one(c, "WHERE id = ? AND lease_token = ?", lease.jobId(), lease.token());
    }

    private static Job reload(Connection c, String jobId) throws SQLException {
        return JobRows.one(c, "WHERE id = ?", jobId).orElseThrow();
    }
}
