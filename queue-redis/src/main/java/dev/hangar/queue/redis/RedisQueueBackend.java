package dev.hangar.queue.redis;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobSpecValidator;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.job.Timings;
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
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.queue.StartRecord;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.select.Selection;
import dev.hangar.queue.redis.LuaScripts.Script;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The queue in Redis, shared by every process that opens the same location: all state lives in
 * Redis, and every change is one Lua script, so processes may die at any moment. A job is a hash;
 * the due ones wait in a sorted set by priority and age; a lease is an entry of the stream
 * {@code P:leases} pending with its worker in the consumer group {@code workers}, and its entry id
 * is the lease token that fences the worker's writes.
 *
 * <p>Lease expiry by the PEL, with the backend's clock: the deadline of a lease is stored as the
 * entry's delivery time, shifted {@link #LEASE_HORIZON} into the past (Redis clamps a delivery time
 * in the future to now). {@code XAUTOCLAIM} with a min-idle of {@code HORIZON + (redisNow -
 * clockNow)} then returns exactly the leases whose deadline the clock has passed, whatever the clock
 * says (tests move it by hand). With the system clock, min-idle is about the horizon.
 */
public final class RedisQueueBackend implements QueueBackend {
    /** How far lease deadlines are shifted into the past: more than any clock skew plus lease. */
    static final Duration LEASE_HORIZON = Duration.ofDays(20 * 365);
    /** A skew from Redis's clock worth telling the operator of at open (a lease is 30 s by default). */
    private static final Duration CLOCK_SKEW_WARNING = Duration.ofSeconds(2);
    private static final System.Logger LOG = System.getLogger(RedisQueueBackend.class.getName());
    /** How far down the queue a lease looks for a job that fits (a page at a time, see lease.lua). */
    private static final int LEASE_SCAN = 1000;
    /** Due index entries one sweep call looks at: Redis runs nothing else meanwhile. */
    private static final int SWEEP_BATCH = 1000;
    private static final int BATCH = 100;
    /**
     * The consumer that holds lease entries taken from vanished workers until their job is settled: a
     * name no node may have (see {@link #leaseArgs}), as a worker of this name would pass the owner
     * check of a settle that takes its job back, a lease it had just renewed.
     */
    static final String REAPER = "hangar:reaper";
    /** Submit entries taken in per round trip of the intake. */
    private static final int INTAKE_BATCH = 100;
    /** Batches of intake one housekeeping pass takes at most (the server's runs twice a second). */
    private static final int INTAKE_BATCHES_PER_PASS = 50;
    /** How often a settle is decided again because the job changed while it was being decided. */
    private static final int SETTLE_TRIES = 10;
    /** Runtimes a job from the submit stream may name when the caller gives no limits. */
    /** For each state, the states a leased job may move to it from, space-separated (see settle.lua). */
    private static final Map<JobState, String> FROM_STATES = fromStatesByTarget();
    private static final SpecLimits WIRE_LIMITS = SpecLimits.forNode(Integer.MAX_VALUE, Long.MAX_VALUE,
            Integer.MAX_VALUE, SpecLimits.RUNTIME_NAMES);

    private final RedisSettings settings;
    private final RedisKeys keys;
    private final RedisLink link;
    private final LuaScripts scripts;
    private final ChangeFeed feed;
    private final Intake intake;
    /** Submit entries this process set aside as dead letters (see {@link #submitEntriesSetAside}). */
    private final AtomicLong setAside = new AtomicLong();
    private final RedisNodeRegistry nodes;
    private final Clock clock;

    private RedisQueueBackend(RedisSettings settings, RedisLink link, Clock clock) {
        this.settings = settings;
        this.keys = new RedisKeys(settings.keyPrefix());
        this.link = link;
        this.clock = clock;
        this.scripts = new LuaScripts(link, settings);
        this.feed = new ChangeFeed(link, keys, settings.timeout());
        this.intake = new Intake(link, scripts, keys);
        this.nodes = new RedisNodeRegistry(link, keys);
    }

    private static Map<JobState, String> fromStatesByTarget() {
        Map<JobState, String> byTarget = new EnumMap<>(JobState.class);
        for (JobState to : JobState.values()) {
            byTarget.put(to, Arrays.stream(JobState.values())
                    .filter(from -> from != JobState.QUEUED && !from.isFinal() && from.canMoveTo(to))
                    .map(JobState::name).collect(Collectors.joining(" ")));
        }
        return byTarget;
    }

    /** Connects to the queue at this location (see {@link RedisSettings}), making its groups if new. */
    public static RedisQueueBackend open(URI location, Clock clock) {
        Objects.requireNonNull(clock, "clock");
        RedisSettings settings = RedisSettings.parse(location);
        RedisLink link = RedisLink.connect(settings);
        try {
            link.ensureGroup(new RedisKeys(settings.keyPrefix()).leases(), RedisKeys.WORKERS);
            checkClock(settings, link, clock);
            compareSettings(settings, link);
            warnIfItEvicts(settings, link);
            return new RedisQueueBackend(settings, link, clock);
        } catch (RuntimeException e) {
            link.close();
            throw e;
        }
    }

    /**
     * Refuses a clock so far ahead of Redis's that a lease deadline, shifted back by the horizon,
     * would still lie in Redis's future: Redis would clamp it to now and the lease would never expire.
     */
    private static void checkClock(RedisSettings settings, RedisLink link, Clock clock) {
        // the clock of the master that runs the scripts, on a cluster too
        List<byte[]> time = link.callOnSlotMaster("TIME", redis -> redis.time());
        long redisMillis = Long.parseLong(Replies.text(time.get(0))) * 1000 + Long.parseLong(Replies.text(time.get(1))) / 1000;
        long ahead = clock.millis() - redisMillis;
        if (ahead > LEASE_HORIZON.toMillis() / 2) {
            throw new QueueException("the clock of this process is " + Duration.ofMillis(ahead).toDays()
                    + " days ahead of the clock of the queue at " + settings.where() + ": its leases could never expire", null);
        }
        if (Math.abs(ahead) > CLOCK_SKEW_WARNING.toMillis()) {
            // a lease's deadline is set on the leasing node's clock and judged on the reclaiming node's
            LOG.log(System.Logger.Level.WARNING, "the clock of this process is {0} s {1} the clock of the queue at {2}:"
                    + " leases are timed on each node''s clock, so a skew between nodes near the lease time makes a"
                    + " lease expire early and its job run again elsewhere; keep the nodes'' clocks in sync (NTP)",
                    String.format(Locale.ROOT, "%.1f", Math.abs(ahead) / 1000.0), ahead > 0 ? "ahead of" : "behind",
                    settings.where());
        }
    }

    /**
     * Warns when this process keeps jobs or bounds streams otherwise than the first that opened the
     * queue: each process applies its own to what it writes (agents record most final states), so
     * every process on a queue should be given the same.
     */
    private static void compareSettings(RedisSettings settings, RedisLink link) {
        String key = new RedisKeys(settings.keyPrefix()).settings();
        var mine = new java.util.LinkedHashMap<String, String>();
        mine.put("retention", settings.retention().toString());
        mine.put("changesMaxLen", Long.toString(settings.changesMaxLen()));
        mine.put("logMaxLen", Long.toString(settings.logMaxLen()));
        mine.put("deadMaxLen", Long.toString(settings.deadMaxLen()));
        mine.forEach((name, value) -> link.call("HSETNX " + key,
                redis -> redis.hsetnx(RedisLink.bytes(key), RedisLink.bytes(name), RedisLink.bytes(value))));
        Map<String, String> first = Replies.fields(link.call("HGETALL " + key, redis -> redis.hgetall(RedisLink.bytes(key))));
        List<String> differ = mine.entrySet().stream()
                .filter(setting -> !setting.getValue().equals(first.get(setting.getKey())))
                .map(setting -> setting.getKey() + " is " + setting.getValue() + " here but " + first.get(setting.getKey()))
                .toList();
        if (!differ.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "the queue at {0} was first opened with other settings: {1}; each process"
                    + " applies its own to what it writes, so give every server and agent on one queue the same (once they"
                    + " all have new ones, DEL {2} to keep those)", settings.where(), String.join(", ", differ), key);
        }
    }

    /**
     * Warns of a Redis that evicts keys when its memory is full: a queued job's record, an idempotency
     * key or what tells a call sent again what it did could go, and jobs be lost or made twice. A
     * Redis that does not let this process read its configuration (ACLs, managed services) is not asked.
     */
    private static void warnIfItEvicts(RedisSettings settings, RedisLink link) {
        String policy;
        try {
            policy = link.callOnSlotMaster("CONFIG GET maxmemory-policy",
                    redis -> redis.configGet("maxmemory-policy")).getOrDefault("maxmemory-policy", "noeviction");
        } catch (QueueException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not read maxmemory-policy of {0}: {1}", settings.where(), e.getMessage());
            return;
        }
        if (!policy.equals("noeviction")) {
            LOG.log(System.Logger.Level.WARNING, "the Redis at {0} evicts keys when its memory is full (maxmemory-policy"
                    + " {1}): queued jobs and idempotency keys could be lost; set maxmemory-policy noeviction",
                    settings.where(), policy);
        }
    }

    /** A Redis location as it may be shown (in logs, errors, start-up lines): without its credentials. */
    public static String shown(URI location) {
        return RedisSettings.redacted(location);
    }

    /** As {@link #shown(URI)}, for text that may not even parse as a URI. */
    public static String shown(String location) {
        return RedisSettings.redacted(location);
    }

    @Override
    public String name() {
        return "redis";
    }

    // ---- work side -----------------------------------------------------------------------------

    @Override
    public Enqueued enqueue(JobSpec spec) {
        Instant now = clock.instant();
        return enqueue(JobIds.random(now), spec, "");
    }

    /** The host paths of the job's mounts as a lease matches them, NUL between them (see enqueue.lua). */
    private static String mountPaths(JobSpec spec) {
        List<String> hostPaths = spec.mounts().stream().map(mount -> mount == null ? null : mount.hostPath()).toList();
        return String.join("\0", MountPolicy.namesForLease(hostPaths));
    }

    /** Stores the job under this id, unless a job has it (or the idempotency key) already. */
    private Enqueued enqueue(String id, JobSpec spec, String sourceEntry) {
        return submit(id, spec, sourceEntry).enqueued();
    }

    /**
     * What a submit did; {@code made}: this call made the job (and took its submit entry, if any).
     * {@code enqueued} is null when the submit entry was dealt with by another process meanwhile.
     */
    private record Submitted(Enqueued enqueued, boolean made) {}

    private Submitted submit(String id, JobSpec spec, String sourceEntry) {
        String json = Json.write(spec);
        long now = clock.millis();
        Written written = write(Script.ENQUEUE, id, json, spec.priority(), spec.resources().cpus(),
                spec.resources().memoryMb(), spec.gpusWanted(), spec.runtime(), spec.profile().untrusted(),
                now, spec.idempotencyScope(), sourceEntry, spec.profile().needs().network(), spec.image(),
                mountPaths(spec), spec.tenant(), NodeLabels.joined(spec.nodeSelector()));
        if (written.code() == 3) {
            return new Submitted(null, false);
        }
        if (written.code() == 2) {
            // this very call, sent again after its reply was lost
            return new Submitted(new Enqueued(written.job().orElseThrow(), true), false);
        }
        if (written.code() != 1) {
            return new Submitted(new Enqueued(written.job().orElseThrow(), false), false);
        }
        // the script stored exactly this: no need to read it back (the spec reads back as it was written)
        return new Submitted(new Enqueued(new Job(id, spec, JobState.QUEUED, 0, 0,
                Timings.submitted(Instant.ofEpochMilli(now)), null, null, null, null, null, false, false), true), true);
    }

    @Override
    public Optional<Lease> lease(LeaseRequest request) {
        return leased(request, scripts.call(Script.LEASE, leaseArgs(request)));
    }

    /** The arguments lease.lua (and finish_and_lease.lua after the finish's) takes for this request. */
    private List<Object> leaseArgs(LeaseRequest request) {
        request.validated();
        if (request.workerId().equals(REAPER)) {
            throw new IllegalArgumentException("workerId '" + REAPER + "' is the queue's own, for leases it takes back");
        }
        return List.of(request.workerId(), clock.millis(), request.leaseFor().toMillis(), request.freeCpus(),
                request.freeMemoryMb(), request.freeGpus(), LEASE_SCAN,
                request.runtimes().size(), List.copyOf(request.runtimes()),
                request.kernelBoundaryRuntimes().size(), List.copyOf(request.kernelBoundaryRuntimes()),
                request.networkRuntimes().size(), List.copyOf(request.networkRuntimes()),
                request.gpuRuntimes().size(), List.copyOf(request.gpuRuntimes()),
                request.images().size(), List.copyOf(request.images()),
                request.mountRoots().size(), List.copyOf(request.mountRoots()),
                request.memoryFloorsMb().size(), request.memoryFloorsMb().entrySet().stream()
                        .flatMap(floor -> java.util.stream.Stream.<Object>of(floor.getKey(), floor.getValue())).toList(),
                request.labels().size(), NodeLabels.pairs(request.labels()));
    }

    /** The lease in a reply of lease.lua: {1, job, change, token}, or {} for none. */
    private static Optional<Lease> leased(LeaseRequest request, List<?> reply) {
        if (reply.isEmpty()) {
            return Optional.empty();
        }
        Job job = JobHash.fromView(Replies.list(reply.get(1)));
        return Optional.of(new Lease(job.id(), Replies.text(reply.get(3)), request.workerId(), job));
    }

    @Override
    public LeaseStatus renew(Lease lease) {
        long code = Replies.number(scripts.call(Script.RENEW, lease.jobId(), lease.token(), clock.millis()).getFirst());
        if (code == -1) {
            // the lease entry is gone (someone deleted it): without it the lease could never expire
            settle(lease.jobId(), lease.token(), "", this::lost);
        }
        return code == 1 ? LeaseStatus.HELD : code == 2 ? LeaseStatus.CANCEL_REQUESTED : LeaseStatus.LOST;
    }

    @Override
    public boolean starting(Lease lease, String node, Selection selection) {
        return advance(lease, JobState.SCHEDULED, JobState.STARTING, "node", node,
                "runtime", selection == null ? null : selection.runtime(),
                "selection", selection == null ? null : Json.write(selection), "startingAt", clock.millis());
    }

    @Override
    public boolean running(Lease lease) {
        return advance(lease, JobState.STARTING, JobState.RUNNING, "runningAt", clock.millis());
    }

    @Override
    public boolean running(Lease lease, StartRecord start) {
        Objects.requireNonNull(start, "start");
        return advance(lease, JobState.STARTING, JobState.RUNNING, "runningAt", clock.millis(),
                "sandboxReadyAt", millis(start.sandboxReadyAt()), "startPath", start.path().name(),
                "sandboxId", start.sandboxId(), "sandboxCreatedAt", millis(start.sandboxCreatedAt()));
    }

    /** One script: the fields of {@link #starting} and {@link #running(Lease, StartRecord)}, SCHEDULED → RUNNING. */
    @Override
    public boolean started(Lease lease, String node, Selection selection, StartRecord start) {
        long now = clock.millis();
        return advance(lease, JobState.SCHEDULED, JobState.RUNNING, "node", node,
                "runtime", selection == null ? null : selection.runtime(),
                "selection", selection == null ? null : Json.write(selection), "startingAt", now, "runningAt", now,
                "sandboxReadyAt", start == null ? "" : millis(start.sandboxReadyAt()),
                "startPath", start == null ? "" : start.path().name(),
                "sandboxId", start == null ? "" : start.sandboxId(),
                "sandboxCreatedAt", start == null ? "" : millis(start.sandboxCreatedAt()));
    }

    private boolean advance(Lease lease, JobState from, JobState to, Object... fields) {
        return write(Script.ADVANCE, lease.jobId(), lease.token(), from, to, Arrays.asList(fields)).code() == 1; // nulls: unset
    }

    @Override
    public Optional<Job> finish(Lease lease, Outcome outcome) {
        Objects.requireNonNull(outcome, "outcome");
        Function<Job, Settlement> decide = decision(outcome);
        Job leased = lease.job();
        if (leased != null && leased.id().equals(lease.jobId())) {
            // Decided on the job as leased: under one lease its spec and attempt stay as they were, and
            // the script refuses if its cancel flag (or attempt) is not, so no read is needed first.
            Settlement settlement = decide.apply(leased);
            Written written = write(Script.SETTLE, lease.jobId(), lease.token(), FROM_STATES.get(settlement.state()),
                    leased.cancelRequested(), settlement.state(), "", leased.attempt(), settlement.fields());
            if (written.code() != -1) {
                return written.job();
            }
        }
        return settle(lease.jobId(), lease.token(), "", decide);
    }

    /**
     * One script settles the job, decided on the job as leased as {@link #finish} does, and leases
     * the next; should the job have changed meanwhile (the script then leases nothing), or the lease
     * carry no job, this finishes as {@link #finish} does and then leases.
     */
    @Override
    public Optional<Lease> finishAndLease(Lease lease, Outcome outcome, LeaseRequest next) {
        Objects.requireNonNull(outcome, "outcome");
        Job leased = lease.job();
        if (leased != null && leased.id().equals(lease.jobId())) {
            Settlement settlement = decision(outcome).apply(leased);
            List<Object> reply = scripts.call(Script.FINISH_AND_LEASE, lease.jobId(), lease.token(),
                    FROM_STATES.get(settlement.state()), leased.cancelRequested(), settlement.state(), leased.attempt(),
                    settlement.fields().size(), settlement.fields(), leaseArgs(next));
            if (Replies.number(reply.getFirst()) != -1) {
                return leased(next, Replies.list(reply.get(1)));
            }
        }
        finish(lease, outcome);
        return lease(next);
    }

    /** What {@link #finish} records for the job it decides on (see AttemptVerdict). */
    private Function<Job, Settlement> decision(Outcome outcome) {
        return held -> {
            Instant now = clock.instant();
            AttemptVerdict verdict = AttemptVerdict.afterOutcome(held, outcome, now);
            List<Object> fields = new ArrayList<>(10);
            Collections.addAll(fields, "notBefore", millis(verdict.notBefore()),
                    "finishedAt", verdict.state().isFinal() ? now.toEpochMilli() : "",
                    "exitCode", outcome.exitCode() == null ? "" : outcome.exitCode(),
                    "error", verdict.error() == null ? "" : verdict.error());
            if (outcome.outputTruncated()) {
                Collections.addAll(fields, "truncated", true); // else it stays as the attempt's output left it
            }
            return new Settlement(verdict.state(), fields);
        };
    }

    @Override
    public Optional<Job> cancel(String jobId) {
        return writeHeard(Script.CANCEL, jobId, clock.millis()).job();
    }

    @Override
    public int requeueExpired() {
        int moved = 0;
        String cursor = "0-0";
        do {
            List<Object> reply = scripts.call(Script.RECLAIM, clock.millis(), cursor, BATCH, REAPER);
            cursor = Replies.text(reply.get(0));
            moved += takeBackAll(Replies.list(reply.get(1)), REAPER, Set.of(), this::lost);
        } while (!"0-0".equals(cursor));
        return moved;
    }

    @Override
    public int releaseLeasesOf(String workerId) {
        return releaseLeasesOf(workerId, Set.of());
    }

    @Override
    public int releaseLeasesOf(String workerId, Set<String> keepTokens) {
        return takeBackEvery(workerId, keepTokens, this::lost);
    }

    @Override
    public int handBackAtStop(String workerId, Set<String> keepTokens) {
        return takeBackEvery(workerId, keepTokens, (held, stops) -> undelivered(AttemptVerdict.afterStop(held), held, stops + 1));
    }

    /** Takes back every job this worker holds, but those whose leases it keeps, each as {@code decide} says. */
    private int takeBackEvery(String workerId, Set<String> keepTokens, BiFunction<Job, Integer, Settlement> decide) {
        int moved = 0;
        String start = "-";
        List<?> pairs;
        while (!(pairs = scripts.call(Script.LEASES_OF, workerId, start, BATCH)).isEmpty()) {
            moved += takeBackAll(pairs, workerId, keepTokens, decide);
            start = "(" + Replies.text(pairs.get(pairs.size() - 2));
        }
        return moved;
    }

    /** Takes back the jobs of these (lease entry, job id) pairs from their worker, but those it keeps. */
    private int takeBackAll(List<?> pairs, String owner, Set<String> keepTokens, BiFunction<Job, Integer, Settlement> decide) {
        int moved = 0;
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            String token = Replies.text(pairs.get(i));
            if (!keepTokens.contains(token) && settle(Replies.text(pairs.get(i + 1)), token, owner, decide).isPresent()) {
                moved++;
            }
        }
        return moved;
    }

    @Override
    public Optional<Job> giveBack(Lease lease, String reason) {
        return settle(lease.jobId(), lease.token(), "", (held, stops) -> undelivered(
                AttemptVerdict.afterGiveBack(held, reason, stops), held, stops));
    }

    /**
     * The worker holding this lease is gone: its job goes back to QUEUED at once, or to its end. The
     * lost delivery was not an attempt, so the job looks as it did before that lease.
     */
    private Settlement lost(Job held, int stops) {
        return undelivered(AttemptVerdict.afterLostLease(held, stops), held, stops);
    }

    /**
     * What a delivery that was not an attempt leaves: the job as before that lease, its deliveries
     * handed back at a stop now {@code stops}; or at the verdict's end.
     */
    private Settlement undelivered(AttemptVerdict verdict, Job held, int stops) {
        if (verdict.state() == JobState.QUEUED) {
            return new Settlement(verdict.state(), List.of("attempt", held.attempt() - 1, "stops", stops, "scheduledAt", "",
                    "startingAt", "", "runningAt", "", "node", "", "runtime", "", "selection", "", "sandboxReadyAt", "",
                    "startPath", "", "sandboxId", "", "sandboxCreatedAt", ""));
        }
        return new Settlement(verdict.state(), List.of("finishedAt", clock.millis(), "error", verdict.error()));
    }

    /** What a settle writes: the state the job moves to and its fields besides the lease's. */
    private record Settlement(JobState state, List<Object> fields) {}

    /**
     * Ends the lease {@code token} of the job with what {@code decide} makes of the job as it is:
     * read, decide in Java, commit fenced on the token, state and cancel flag; if the job changed
     * meanwhile, decide again. Empty if the lease is lost (nothing was written). With an
     * {@code owner}, the lease entry must still be that consumer's.
     */
    private Optional<Job> settle(String jobId, String token, String owner, Function<Job, Settlement> decide) {
        return settle(jobId, token, owner, (held, stops) -> decide.apply(held));
    }

    /** As above, {@code decide} told too how many of the job's deliveries were handed back at a stop. */
    private Optional<Job> settle(String jobId, String token, String owner, BiFunction<Job, Integer, Settlement> decide) {
        for (int i = 0; i < SETTLE_TRIES; i++) {
            Map<String, String> hash = hash(jobId);
            if (hash.isEmpty() || !token.equals(JobHash.token(hash))) {
                if (!owner.isEmpty()) {
                    scripts.call(Script.DROP_LEASE, token); // a stray entry no job holds
                }
                return Optional.empty();
            }
            Job held = JobHash.toJob(hash);
            Settlement settlement = decide.apply(held, JobHash.stops(hash));
            if (!held.state().canMoveTo(settlement.state())) {
                return Optional.empty();
            }
            Written written = write(Script.SETTLE, jobId, token, held.state(), held.cancelRequested(),
                    settlement.state(), owner, held.attempt(), settlement.fields());
            if (written.code() != -1) {
                return written.job();
            }
        }
        throw new QueueException("job " + jobId + " kept changing while its lease was being settled", null);
    }

    // ---- read side -----------------------------------------------------------------------------

    /** A write of one of the queue's keys, so that it goes where every call goes and fails as they do. */
    @Override
    public void ping() {
        // why a write: a Redis at its memory limit (noeviction) or whose last save failed (MISCONF) still answers
        // reads while it refuses every submit, lease and finish; a key that expires by itself, so nothing is left
        link.call("SET", redis -> redis.set(RedisLink.bytes(keys.ping()), RedisLink.bytes("1"),
                io.lettuce.core.SetArgs.Builder.px(PING_KEPT.toMillis())));
    }

    /** How long the key a readiness check writes outlives it: each check writes it again, and the last one's expires. */
    private static final Duration PING_KEPT = Duration.ofMinutes(1);

    @Override
    public Optional<Job> get(String jobId) {
        Map<String, String> hash = hash(jobId);
        return hash.isEmpty() ? Optional.empty() : Optional.of(JobHash.toJob(hash));
    }

    @Override
    public Optional<Job> findByIdempotencyKey(JobSpec spec) {
        if (spec.idempotencyKey() == null) {
            return Optional.empty();
        }
        byte[] id = link.call("GET idempotency key", redis -> redis.get(RedisLink.bytes(keys.idempotency(spec.idempotencyScope()))));
        // the key may outlive its job by a moment (retention), as enqueue.lua allows for
        return id == null ? Optional.empty() : get(new String(id, StandardCharsets.UTF_8));
    }

    private Map<String, String> hash(String jobId) {
        return Replies.fields(link.call("HGETALL", redis -> redis.hgetall(RedisLink.bytes(keys.job(jobId)))));
    }

    @Override
    public JobPage list(JobQuery query) {
        int limit = query.pageSize();
        Long before = PageCursor.decode(query.cursor());
        List<Object> reply = page("desc", before == null ? "+inf" : "(" + before, limit, query.tenant(), query.node(),
                query.states());
        String next = Replies.text(reply.get(0));
        return new JobPage(rows(reply).stream().map(JobHash::toJob).toList(),
                next.isEmpty() ? null : PageCursor.after(Long.parseLong(next)));
    }


    @Override
    public Map<JobState, Long> countByState() {
        List<Object> counts = scripts.call(Script.COUNTS, Arrays.asList((Object[]) JobState.values()));
        Map<JobState, Long> byState = new EnumMap<>(JobState.class);
        for (JobState state : JobState.values()) {
            byState.put(state, Replies.number(counts.get(state.ordinal())));
        }
        return byState;
    }

    @Override
    public Optional<Job> oldest(JobState state) {
        Objects.requireNonNull(state, "state");
        return rows(page("asc", "-inf", 1, null, null, Set.of(state))).stream().findFirst().map(JobHash::toJob);
    }

    /**
     * page.lua's reply: where to go on ("" if no more), then the jobs. The jobs it found gone (past their retention,
     * or evicted) are dropped from the indexes after, by a call of their own: a list must be answered while Redis
     * refuses writes, and the dropping may fail then.
     */
    private List<Object> page(String order, String bound, int limit, String tenant, String node, Set<JobState> states) {
        List<Object> page = scripts.call(Script.PAGE, order, bound, limit, JobQuery.PAGE_SPEC_BYTES, tenant, node,
                List.copyOf(states));
        List<?> gone = Replies.list(page.get(2));
        if (!gone.isEmpty()) {
            try {
                scripts.call(Script.FORGET, tenant == null ? "" : tenant, gone.stream().map(Replies::text).toList());
            } catch (QueueException e) {
                LOG.log(System.Logger.Level.DEBUG, "jobs gone from the store stay indexed until a later list: " + e);
            }
        }
        return page;
    }

    private static List<Map<String, String>> rows(List<Object> page) {
        return Replies.list(page.get(1)).stream().map(Replies::fields).toList();
    }

    @Override
    public void appendLog(String jobId, int attempt, OutputSink.Stream stream, byte[] data) {
        append(jobId, attempt, "", 0, stream, data);
    }

    @Override
    public boolean appendLog(Lease lease, long chunk, OutputSink.Stream stream, byte[] data) {
        return append(lease.jobId(), -1, lease.token(), chunk, stream, data);
    }

    /**
     * With a token, only while that lease is held, and as the job's current attempt (-1: read it);
     * a chunk number above 0 is stored once under that token.
     */
    private boolean append(String jobId, int attempt, String token, long chunk, OutputSink.Stream stream, byte[] data) {
        Objects.requireNonNull(stream, "stream");
        if (data == null || data.length == 0) {
            return true; // an empty chunk says nothing
        }
        return write(Script.APPEND_LOG, jobId, attempt, stream == OutputSink.Stream.STDOUT ? "out" : "err", data,
                settings.logMaxLen(), token, chunk).code() == 1;
    }

    @Override
    public List<LogChunk> readLog(String jobId, long afterSeq, int max) {
        if (max < 1) {
            return List.of();
        }
        Range<String> after = Range.from(Range.Boundary.including("0-" + Long.toUnsignedString(Math.max(0, afterSeq) + 1)),
                Range.Boundary.unbounded());
        return chunks(link.call("XRANGE", redis -> redis.xrange(RedisLink.bytes(keys.log(jobId)), after, Limit.from(max))));
    }

    @Override
    public List<LogChunk> readLogBefore(String jobId, long beforeSeq, int max) {
        if (max < 1 || beforeSeq <= 1) {
            return List.of();
        }
        Range<String> before = Range.from(Range.Boundary.unbounded(),
                Range.Boundary.including("0-" + Long.toUnsignedString(beforeSeq - 1)));
        return chunks(link.call("XREVRANGE",
                redis -> redis.xrevrange(RedisLink.bytes(keys.log(jobId)), before, Limit.from(max)))).reversed();
    }

    private static List<LogChunk> chunks(List<StreamMessage<byte[], byte[]>> entries) {
        List<LogChunk> chunks = new ArrayList<>(entries.size());
        for (StreamMessage<byte[], byte[]> entry : entries) {
            byte[] data = null;
            String attempt = null;
            String delivery = "0"; // output stored before chunks carried it
            String stream = null;
            for (var field : entry.getBody().entrySet()) {
                switch (Replies.text(field.getKey())) {
                    case "data" -> data = field.getValue();
                    case "attempt" -> attempt = Replies.text(field.getValue());
                    case "delivery" -> delivery = Replies.text(field.getValue());
                    case "stream" -> stream = Replies.text(field.getValue());
                    default -> { }
                }
            }
            OutputSink.Stream which = "err".equals(stream) ? OutputSink.Stream.STDERR : OutputSink.Stream.STDOUT;
            chunks.add(new LogChunk(StreamId.parse(entry.getId()).seq(), Integer.parseInt(attempt),
                    Integer.parseInt(delivery), which, data));
        }
        return chunks;
    }

    @Override
    public AutoCloseable subscribe(QueueListener listener) {
        return feed.add(Objects.requireNonNull(listener, "listener"));
    }

    // ---- upkeep of the Redis side --------------------------------------------------------------

    /** The agents of the cluster heartbeat into keys of this Redis that expire. */
    @Override
    public Optional<NodeRegistry> nodeRegistry() {
        return Optional.of(nodes);
    }

    /** Takes in what foreign producers XADDed, each spec passed through {@code validate}, and drops expired jobs from the indexes. */
    @Override
    public int housekeeping(UnaryOperator<JobSpec> validate) {
        int handled = 0;
        RuntimeException intakeFailed = null;
        try {
            int batch;
            int batches = 0;
            do {
                batch = intake(INTAKE_BATCH, validate);
                handled += batch;
                // why a bound: producers writing as fast as this takes in would keep it here for good,
                // and the retention sweep and the caller's own upkeep (expired leases) would never run
            } while (batch == INTAKE_BATCH && ++batches < INTAKE_BATCHES_PER_PASS);
        } catch (RuntimeException e) {
            intakeFailed = e; // the sweep runs all the same: an intake that keeps failing must not stop it
        }
        int swept;
        try {
            swept = sweepRetention();
        } catch (RuntimeException e) {
            if (intakeFailed != null) {
                intakeFailed.addSuppressed(e);
                throw intakeFailed;
            }
            throw e;
        }
        if (intakeFailed != null) {
            throw intakeFailed;
        }
        return handled + swept;
    }

    /**
     * Takes in at most {@code max} entries of the submit stream (see {@link WireFormat}), checking
     * specs against limits that know only the runtimes; returns how many entries it handled.
     */
    public int intake(int max) {
        return intake(max, new JobSpecValidator(WIRE_LIMITS)::validate);
    }

    /**
     * Takes in at most {@code max} entries of the submit stream, each spec passed through {@code validate};
     * those larger than a job may be are set aside unread (see intake_read.lua).
     */
    public int intake(int max, UnaryOperator<JobSpec> validate) {
        return intake.run(max, validate, new Intake.Sink() {
            @Override
            public void setAsideUnread(int count) {
                setAside.addAndGet(count);
            }

            @Override
            public boolean answeredByEarlierJob(String entryId, JobSpec spec, InvalidSpecException refused,
                    Map<String, String> entry) {
                Optional<Job> earlier = findByIdempotencyKey(spec);
                if (earlier.isEmpty()) {
                    return false;
                }
                if (earlier.get().spec().equals(spec)) {
                    takeRepeat(entryId);
                } else {
                    // its own faults too, as the API names them
                    deadLetter(entryId, new Enqueued(earlier.get(), false).refusedWithConflict(refused).getMessage(), entry);
                }
                return true;
            }

            @Override
            public void enqueue(String entryId, JobSpec spec, Map<String, String> entry) {
                String id = JobIds.forSubmitEntry(settings.prefix(), entryId);
                Submitted submitted = submit(id, spec, entryId);
                Enqueued enqueued = submitted.enqueued();
                if (enqueued == null) {
                    return; // another process took it over while this one was held up, and dealt with it
                }
                Job found = enqueued.job();
                if (found.spec().equals(spec)) {
                    if (!submitted.made()) {
                        takeRepeat(entryId); // a repeat of that job's submit (its key, or this entry's id)
                    }
                    return;
                }
                // the script left the entry on the stream: it must not vanish without a word, as a
                // producer that only XADDs hears no answer; it is set aside and taken off in one step
                deadLetter(entryId, found.id().equals(id) ? "entry: its id " + entryId + " made job " + id
                        + " before, with another spec (was the stream deleted and an id given by hand?); XADD with '*'"
                        : "idempotencyKey: " + enqueued.conflict(), entry);
            }

            @Override
            public void deadLetter(String entryId, String reason, Map<String, String> entry) {
                List<Object> reply = scripts.call(Script.DEAD_LETTER, entryId, DeadLetter.shortened(reason),
                        DeadLetter.entryFields(entry));
                if (Replies.number(reply.getFirst()) == 1) {
                    setAside.incrementAndGet();
                }
            }
        });
    }

    @Override
    public long submitEntriesSetAside() {
        return setAside.get();
    }

    /** Removes the intake group's consumers that hold nothing and were idle longer than this (see Intake). */
    long pruneIntakeConsumers(Duration idleFor) {
        return intake.pruneGoneConsumers(idleFor);
    }

    /** Takes a submit entry that repeats a job's submit off the stream; taken again, nothing changes. */
    private void takeRepeat(String entryId) {
        byte[] stream = RedisLink.bytes(keys.submit());
        // why deleted first: an entry deleted but still pending is acked at the next read (Intake), while
        // one acked but not deleted would stay in the stream, never read again
        link.call("taking submit entry " + entryId, redis -> {
            redis.xdel(stream, entryId);
            return redis.xack(stream, RedisLink.bytes(RedisKeys.INTAKE), entryId);
        });
    }

    /** Drops from the indexes the final jobs whose retention has run out; returns how many. */
    public int sweepRetention() {
        int removed = 0;
        List<Object> batch;
        do {
            batch = scripts.call(Script.SWEEP, SWEEP_BATCH);
            removed += (int) Replies.number(batch.getFirst());
        } while (Replies.number(batch.get(1)) == SWEEP_BATCH); // a full batch: more may be due
        return removed;
    }

    /** The newest {@code max} entries of the dead-letter stream, oldest first. */
    public List<DeadLetter> deadLetters(int max) {
        List<StreamMessage<byte[], byte[]>> entries = link.call("XREVRANGE",
                redis -> redis.xrevrange(RedisLink.bytes(keys.dead()), Range.unbounded(), Limit.from(max)));
        return entries.reversed().stream()
                .map(entry -> new DeadLetter(entry.getId(), Replies.fields(entry.getBody())))
                .toList();
    }

    @Override
    public void close() {
        feed.close();
        intake.leave();
        link.close();
    }

    // ---- plumbing ------------------------------------------------------------------------------

    /** What a changing script returned: {code, job view, change entry id}. */
    private record Written(long code, List<?> view) {
        static Written of(List<Object> reply) {
            return new Written(reply.isEmpty() ? 0 : Replies.number(reply.get(0)),
                    reply.size() > 1 ? Replies.list(reply.get(1)) : List.of());
        }

        Optional<Job> job() {
            return view.isEmpty() ? Optional.empty() : Optional.of(JobHash.fromView(view));
        }
    }

    /** Runs a changing script; listeners hear of the change a moment later (see {@link ChangeFeed}). */
    private Written write(Script script, Object... args) {
        return Written.of(scripts.call(script, args));
    }

    /**
     * Runs a changing script and returns once listeners heard of the change (see
     * {@link ChangeFeed#awaitTold}): a submitter's listeners hear of the job before the submit returns.
     */
    private Written writeHeard(Script script, Object... args) {
        List<Object> reply = scripts.call(script, args);
        feed.awaitTold(reply.size() > 2 ? Replies.text(reply.get(2)) : null);
        return Written.of(reply);
    }

    private static Object millis(Instant instant) {
        return instant == null ? "" : instant.toEpochMilli();
    }

    /** Whether its connection to one Redis server is lost now: tests wait for the client to have seen a kill. */
    boolean connectionLost() {
        return link.connectionLost();
    }
}
