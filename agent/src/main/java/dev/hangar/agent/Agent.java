package dev.hangar.agent;

import dev.hangar.agent.pool.ImageVersions;
import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.agent.pool.PoolManager;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.queue.LeaseStatus;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.queue.RepeatedWarning;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.select.NodePolicy;
import dev.hangar.core.select.RuntimeSelector;
import dev.hangar.core.select.Selection;
import dev.hangar.core.select.WarmPools;
import dev.hangar.runtime.support.MountPins;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ArrayList;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The node agent: probes its runtimes, takes jobs that fit its room, runs each in a sandbox of the
 * runtime the rules choose, renews its leases and stops jobs on cancel or timeout.
 */
public final class Agent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Agent.class.getName());
    private static final Duration BENCH_FOR = Duration.ofSeconds(30);
    /** How long the image names a lease offers are read once for. */
    private static final Duration IMAGES_FRESH = Duration.ofSeconds(1);
    /** The longest pause between passes that failed, e.g. while the queue is out of reach. */
    private static final Duration LONGEST_FAILURE_PAUSE = Duration.ofSeconds(2);
    /**
     * How long a stop waits for a lease call under way: one that waits on a queue away is not waited
     * out (its command timeout), as the job it may yet lease is not launched and its lease lapses.
     */
    static final Duration LEASE_CALL_WAIT_ON_STOP = Duration.ofSeconds(2);

    private final AgentConfig config;
    /** The roots under which this node lets jobs mount, as a lease offers them (read once: the config does not change). */
    private final Set<String> mountRoots;
    private final QueueBackend queue;
    private final Map<String, SandboxRuntime> runtimes;
    private final ImageNames imageNames;
    private final ImageVersions imageVersions;
    private final RuntimeSelector selector = RuntimeSelector.standard();
    private final Capacity capacity;
    private final RuntimeHealth health;
    /** Where a job's host mounts are pinned before its runtime mounts them. */
    private final MountPins pins;
    /**
     * When a job's mounts last could not be pinned here for the host's own reason (System.nanoTime):
     * for {@link #benchFor} after, this node leases no job with mounts, so that one does not use up its
     * deliveries here while other nodes could run it.
     */
    private volatile long mountsFailedAt = System.nanoTime() - Duration.ofDays(1).toNanos();
    private final Duration benchFor;
    private final WakeSignal wake = new WakeSignal();
    /** The jobs this node runs, by lease token: the same job may come back under a new lease. */
    private final Map<String, RunningJob> running = new ConcurrentHashMap<>();
    private final CancelsHeard cancelsHeard = new CancelsHeard(System::nanoTime);
    private final ExecutorService jobs = Executors.newVirtualThreadPerTaskExecutor();
    /** Job timeouts and the lease watch: nothing on it waits for the queue. */
    private final ScheduledThreadPoolExecutor timers = timers();
    /** When to renew leases; each renewal, which waits for the queue (up to its command timeout), runs on {@link #renewing}. */
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
            .daemon().name("agent-renewals").factory());
    /**
     * A renewal that fails is tried again within its period: a lease on a queue that fails calls at once
     * while it is away is renewed as soon as the queue is back, not at the next period, which may be
     * too late. Its failure is logged once per period, by the renewal.
     */
    private final QueueRetry renewalRetry;
    private final RepeatedWarning renewalWarning = new RepeatedWarning(LOG, "renewing leases");
    private final ExecutorService renewing = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("renew-", 0).factory());
    /** Requeueing expired leases, which waits for the queue too. */
    private final ScheduledExecutorService upkeep = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
            .daemon().name("agent-upkeep").factory());
    private volatile List<RuntimeStatus> statuses = List.of();
    private volatile boolean stopping;
    /** When it was asked to drain, as the registry holds it, while it is: it takes no more jobs, those running finish. */
    private volatile Instant drainAskedAt;
    /** Its labels: those it was started with, or those the cluster asks it to have in their place ({@link #relabel}). */
    private volatile Map<String, String> labels;
    /** How long {@link #drain} waits for the job loop to see an ask: its heartbeat says so then, or at the next. */
    private static final Duration DRAIN_SEEN_WAIT = Duration.ofSeconds(1);
    /**
     * The job loop has seen the ask: it leases no more, and any job it leased before is counted as
     * running (a lease in flight when the ask came is launched first), so the load a heartbeat says is whole.
     */
    private volatile boolean drainSeen;
    /** Notified when the job loop has seen an ask to drain, for {@link #drain} waiting on it. */
    private final Object drainSeenSignal = new Object();
    /** Taken by {@link #poolsFollowDrain}. */
    private final Object poolsDrainLock = new Object();
    private volatile PoolManager pools;
    private volatile Thread loop;
    private AutoCloseable subscription;

    /** Job timeouts: one per job, cancelled when it ends, so dropped then rather than kept until it would fire. */
    private static ScheduledThreadPoolExecutor timers() {
        var timers = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("agent-timers").factory());
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }

    /** An agent that does not say which images it has: on a shared queue it is offered jobs of any image. */
    public Agent(AgentConfig config, QueueBackend queue, List<SandboxRuntime> runtimes) {
        this(config, queue, runtimes, Set::of);
    }

    /** {@code imageNames}: the images of this node's image store, as jobs name them. */
    public Agent(AgentConfig config, QueueBackend queue, List<SandboxRuntime> runtimes, Supplier<Set<String>> imageNames) {
        this(config, queue, runtimes, imageNames, ImageVersions.NONE, BENCH_FOR, MountPins.atDefaultRoot());
    }

    /**
     * {@code imageVersions}: when each image was made, so that warm pools remake what an image made again replaced,
     * and which images are made on their first use, which a job's output then says it waits for.
     */
    public Agent(AgentConfig config, QueueBackend queue, List<SandboxRuntime> runtimes, Supplier<Set<String>> imageNames,
            ImageVersions imageVersions) {
        this(config, queue, runtimes, imageNames, imageVersions, BENCH_FOR, MountPins.atDefaultRoot());
    }

    /**
     * {@code benchFor}: how long a runtime whose sandboxes keep failing is left out (see {@link RuntimeHealth}),
     * and jobs with mounts after this host could not mount one; {@code pins}: where jobs' mounts are pinned.
     */
    Agent(AgentConfig config, QueueBackend queue, List<SandboxRuntime> runtimes, Supplier<Set<String>> imageNames,
            ImageVersions imageVersions, Duration benchFor, MountPins pins) {
        this.imageVersions = imageVersions;
        this.config = config;
        this.labels = config.labels();
        this.mountRoots = config.mounts().allowedRoots().stream().map(Path::toString).collect(Collectors.toUnmodifiableSet());
        this.queue = queue;
        this.runtimes = runtimes.stream().collect(Collectors.toUnmodifiableMap(SandboxRuntime::name, r -> r));
        this.imageNames = new ImageNames(imageNames, IMAGES_FRESH, System::nanoTime);
        this.capacity = new Capacity(config);
        this.health = new RuntimeHealth(benchFor, System::nanoTime);
        this.pins = pins;
        this.renewalRetry = QueueRetry.quiet(renewEvery());
        this.benchFor = benchFor;
    }

    /** Probes the runtimes, takes back this node's stale leases and starts taking jobs. */
    public synchronized Agent start() {
        int unpinned = pins.sweep();
        if (unpinned > 0) {
            LOG.log(System.Logger.Level.INFO, "took away {0} mount pin(s) left by an agent that is gone", unpinned);
        }
        if (!config.mounts().allowedRoots().isEmpty()) {
            MountPins.privateMountNamespace().ifPresent(why -> LOG.log(System.Logger.Level.WARNING, "{0}: a runtime "
                    + "that is a daemon of its own (containerd, for Kata) would see jobs'' mount pins empty", why));
            pins.trial().ifPresent(why -> LOG.log(System.Logger.Level.WARNING, "jobs'' mounts cannot be pinned here ({0}): "
                    + "runtimes are given their checked paths, which a job that can write above one could swap before "
                    + "it is mounted", why));
        }
        statuses = probeAll();
        var manager = new PoolManager(poolsOfUsableRuntimes(), usableRuntimes(), config.memoryMb(), capacity::memoryLeftMb,
                imageVersions, Clock.systemUTC());
        manager.pause(drainAskedAt != null); // a node restarted drained makes no sandbox at all
        try {
            pools = manager.start();
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        poolsFollowDrain(); // an ask or a resume that came meanwhile
        try {
            int released = queue.releaseLeasesOf(config.nodeName());
            if (released > 0) {
                LOG.log(System.Logger.Level.INFO, "gave back {0} job(s) this node held before it restarted", released);
            }
            subscription = queue.subscribe(new QueueListener() {
                @Override
                public void jobChanged(Job job) {
                    onJobChanged(job);
                }

                @Override
                public void changesMissed(String why) {
                    wake.wake(); // a new job may be among them: look now rather than at the next poll
                }
            });
        } catch (RuntimeException e) { // the queue out of reach: the caller gets no agent to close, so nothing may keep running
            pools.close();
            throw e;
        }
        Duration renewEvery = renewEvery();
        renewals.scheduleAtFixedRate(guarded("renewing leases", this::renewLeases), renewEvery.toMillis(),
                renewEvery.toMillis(), TimeUnit.MILLISECONDS);
        upkeep.scheduleWithFixedDelay(guarded("requeueing expired leases", this::requeueExpired), 1, 1, TimeUnit.SECONDS);
        long watchEvery = Math.min(1000, renewEvery.toMillis() / 4);
        timers.scheduleWithFixedDelay(guarded("watching leases", this::stopJobsWhoseLeaseRunsOut), watchEvery, watchEvery,
                TimeUnit.MILLISECONDS);
        loop = Thread.ofPlatform().name("agent-loop").daemon().start(this::takeJobs);
        return this;
    }

    public String nodeName() {
        return config.nodeName();
    }

    public AgentConfig config() {
        return config;
    }

    /** The runtimes as probed, a benched one (see {@link RuntimeHealth}) shown unavailable with the reason. */
    public List<RuntimeStatus> runtimes() {
        return statuses.stream()
                .map(status -> status.probe().available()
                        ? health.benched(status.name())
                                .map(why -> new RuntimeStatus(status.name(), status.description(), status.capabilities(),
                                        status.probe().benchedFor(why)))
                                .orElse(status)
                        : status)
                .toList();
    }

    public int runningJobs() {
        return capacity.running();
    }

    /** This node as its heartbeat advertises it: runtimes as probed, capacity, load, and what jobs may ask for. */
    public NodeStatus status(Instant now) {
        List<RuntimeStatus> runtimes = runtimes();
        var total = new NodeStatus.Capacity(config.cpus(), config.memoryMb(), config.gpus().size());
        PoolManager current = pools;
        // the ask read first: a resume between the two reads shows as not draining, never as draining with no ask
        Instant askSeen = drainAskedAt;
        boolean seen = drainSeen && askSeen != null;
        Map<String, String> has = labels;
        return new NodeStatus(config.nodeName(), total, capacity.load(), Runtime.getRuntime().availableProcessors(),
                runtimes, imageNames.get(), config.mounts(), givesNetwork(runtimes), now,
                current == null ? List.of() : current.pools(),
                current == null ? null : current.budget(), seen, seen ? askSeen : null, has,
                has.equals(config.labels()) ? null : config.labels());
    }

    /**
     * Takes no more jobs while asked to drain, at {@code askedAt} as the registry holds it (the jobs
     * running finish, the warm pools are emptied), or takes them again once it is null (the pools fill
     * again); says so at each change.
     * Asked, it waits a moment for the job loop to see it (a lease under way is launched first), so that
     * the next status says so, naming this ask; before {@link #start}, the loop sees it at its first pass.
     */
    public void drain(Instant askedAt) {
        boolean asked = askedAt != null;
        boolean changed = asked != (drainAskedAt != null);
        drainAskedAt = askedAt; // asked anew after a resume between two beats, it stays drained, under the new ask
        if (changed) {
            if (!asked) {
                drainSeen = false;
            }
            LOG.log(System.Logger.Level.INFO, asked ? "asked to drain: taking no more jobs, emptying the warm pools; those"
                    + " running are left to finish" : "no longer asked to drain: taking jobs again, filling the warm pools");
            poolsFollowDrain();
            wake.wake();
        }
        long deadline = System.nanoTime() + DRAIN_SEEN_WAIT.toNanos();
        synchronized (drainSeenSignal) {
            for (long left = DRAIN_SEEN_WAIT.toNanos(); asked && loop != null && !drainSeen && left > 0;
                    left = deadline - System.nanoTime()) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(drainSeenSignal, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Pauses the warm pools while the node is asked to drain and resumes them once it is not. Each call
     * reads both fields under one lock, so whichever of a drain, a resume and the start calls last sets
     * the pools as the latest ask has it.
     */
    private void poolsFollowDrain() {
        synchronized (poolsDrainLock) {
            PoolManager current = pools;
            if (current != null) {
                current.pause(drainAskedAt != null);
            }
        }
    }

    /**
     * Takes these labels in place of those it was started with, or, with {@code asked} null, its own
     * again: the next lease asks for jobs by them, and the next status advertises them.
     */
    public void relabel(Map<String, String> asked) {
        Map<String, String> now = asked == null ? config.labels() : Map.copyOf(asked);
        if (!now.equals(labels)) {
            labels = now;
            LOG.log(System.Logger.Level.INFO, "labels now " + NodeLabels.shown(now)
                    + (asked == null ? " (its own)" : " (as the cluster asks)"));
            wake.wake(); // a job that waited for them may fit now
        }
    }

    /** Its labels now: its own, or those the cluster asked it to have in their place. */
    public Map<String, String> labels() {
        return labels;
    }

    /** Whether it has seen an ask to drain and takes no more jobs. */
    public boolean draining() {
        return drainSeen;
    }

    /** What the rules would choose for this spec on this node (warm sandboxes counted), without running anything. */
    public Selection explain(JobSpec spec) {
        return select(spec, runtimes());
    }

    /**
     * The runtime for a job this node leased: as {@link #explain}, but a job that only a benched
     * runtime here may run is tried on it rather than refused for good (a bench is for a while).
     */
    private Selection selectForLeased(JobSpec spec) {
        Selection selection = explain(spec);
        if (selection.refused()) {
            Selection benchedToo = select(spec, statuses);
            return benchedToo.refused() ? selection : benchedToo;
        }
        return selection;
    }

    private Selection select(JobSpec spec, List<RuntimeStatus> among) {
        PoolManager current = pools;
        return selector.select(spec, among, new NodePolicy(config.networkAllowed(), config.gpus().size()),
                current == null ? WarmPools.none() : current.readyFor(spec));
    }

    /** This node's warm pools (none until {@link #start()}). */
    public PoolManager pools() {
        return pools;
    }

    /**
     * The configured pools but those of a runtime this node has and whose probe failed: said and left
     * out, rather than keep the node from starting (and running jobs of its other runtimes) because
     * of a probe. A pool of a runtime Hangar does not have is still refused, as a mistake.
     */
    private PoolConfig poolsOfUsableRuntimes() {
        var kept = new ArrayList<PoolSpec>();
        for (PoolSpec pool : config.pools().pools()) {
            Optional<RuntimeStatus> failed = statuses.stream()
                    .filter(s -> s.name().equals(pool.runtime()) && !s.probe().available()).findFirst();
            if (failed.isPresent()) {
                LOG.log(System.Logger.Level.WARNING, "pool {0} left out: runtime {1} is unavailable on this node ({2});"
                        + " it is made at a start that finds the runtime working", pool.name(), pool.runtime(),
                        failed.get().probe().reason());
            } else {
                kept.add(pool);
            }
        }
        return config.pools().withPools(kept).withJobCpus(config.cpus());
    }

    private List<SandboxRuntime> usableRuntimes() {
        return statuses.stream().filter(s -> s.probe().available()).map(s -> runtimes.get(s.name())).toList();
    }

    /** One at a time: probes run trial sandboxes, and parallel trials on few cores skew the timings the selector ranks by. */
    private List<RuntimeStatus> probeAll() {
        return runtimes.values().stream()
                .map(runtime -> RuntimeStatus.of(runtime, runtime.probe()))
                .sorted(java.util.Comparator.comparing(RuntimeStatus::name))
                .toList();
    }

    private void takeJobs() {
        var attempt = new JobAttempt(queue, config, this::selectForLeased, this::runtime, health, timers, pools,
                new JobAttempt.Mounts(pins, () -> mountsFailedAt = System.nanoTime()), imageVersions, Clock.systemUTC());
        boolean leaseUnanswered = false;
        Duration failurePause = config.pollInterval();
        var taking = new RepeatedWarning(LOG, "taking a job");
        while (!stopping) {
            try {
                if (leaseUnanswered) {
                    giveBackLeasesNotRunHere(); // while the queue is away it throws, and is tried again next pass
                    leaseUnanswered = false;
                }
                long asked = System.nanoTime();
                boolean drainingNow = drainAskedAt != null;
                drainSeen = drainingNow; // the last pass's lease, if any, has been launched
                if (drainingNow) {
                    synchronized (drainSeenSignal) {
                        drainSeenSignal.notifyAll();
                    }
                }
                Optional<List<RuntimeStatus>> offer = runtimesToOffer();
                leaseUnanswered = true; // until the queue answers
                Optional<Lease> lease;
                try {
                    lease = capacity.hasRoom() && offer.isPresent() && !drainingNow
                            ? queue.lease(leaseRequest(offer.get()))
                            : Optional.empty();
                    leaseUnanswered = false;
                    failurePause = config.pollInterval();
                    taking.succeeded();
                    // one taken while stopping is given back by close(), or, its call answered after close() gave
                    // back this node's leases, lapses
                    if (lease.isPresent() && !stopping) {
                        launch(lease.get(), asked + config.leaseFor().toNanos(), attempt);
                    }
                } finally {
                    capacity.letGoOfOfferedGpus();
                }
                if (lease.isEmpty()) {
                    wake.await(config.pollInterval());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error e) { // an Error too: this loop must not end while the node heartbeats
                taking.failed("; retrying in " + failurePause.toMillis() + " ms", e);
                sleepQuietly(failurePause);
                // a queue out of reach fails each call at once: the loop backs off rather than ask twice a second
                failurePause = longer(failurePause);
            }
        }
    }

    /** The pause after one more failed pass: twice the last, up to 2 s (or the poll interval, if longer). */
    private Duration longer(Duration pause) {
        Duration most = LONGEST_FAILURE_PAUSE.compareTo(config.pollInterval()) > 0 ? LONGEST_FAILURE_PAUSE : config.pollInterval();
        Duration twice = pause.isZero() ? Duration.ofMillis(50) : pause.multipliedBy(2); // a zero poll interval must not spin
        return twice.compareTo(most) > 0 ? most : twice;
    }

    /**
     * A lease call that failed may have leased a job all the same (the queue made the lease, its
     * answer was lost): this node holds it and runs nothing for it. Only this loop leases, and it
     * adds what it leased to the running jobs before it leases again, so a lease of this node that
     * no running job holds is such a one, or that of a job whose end could not be recorded: either
     * goes back to the queue now rather than when its lease runs out.
     */
    private void giveBackLeasesNotRunHere() {
        try {
            int given = queue.releaseLeasesOf(config.nodeName(), Set.copyOf(running.keySet())); // keyed by lease token
            if (given > 0) {
                LOG.log(System.Logger.Level.INFO, "gave back {0} job(s) leased by a call whose answer was lost", given);
            }
        } catch (QueueException e) {
            throw e;
        } catch (RuntimeException e) { // e.g. a backend that cannot: such leases wait until they expire
            LOG.log(System.Logger.Level.WARNING, "could not give back leases whose answer was lost; they wait out their lease", e);
        }
    }

    private void launch(Lease lease, long heldUntilNanos, JobAttempt attempt) {
        // the queue handed this job out again, so a run of it here under an earlier lease has lost that lease
        forEachRunOf(lease.jobId(), RunningJob::leaseLost);
        var job = new RunningJob(lease, capacity.reserve(lease.job().spec().resources(), lease.job().spec().gpusWanted()),
                heldUntilNanos);
        running.put(lease.token(), job);
        if (cancelsHeard.take(lease.jobId())) {
            job.stop(StopReason.CANCELLED); // heard before its run was here to stop: not left for the next renewal
        }
        Runnable ended = () -> {
            running.remove(lease.token(), job);
            // why after what it left behind: a sandbox still being made holds memory (and GPUs) until
            // destroyed; bounded, so that a create that never returns does not take the node's room for good
            // (on a copy: completing the work's own future would cancel what is still to be done with it)
            job.leftBehind().copy().completeOnTimeout(null, config.createTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((done, error) -> {
                        capacity.release(lease.job().spec().resources(), job.gpus());
                        wake.wake();
                    });
        };
        try {
            jobs.execute(() -> {
                try {
                    attempt.run(job);
                } finally {
                    ended.run();
                }
            });
        } catch (RuntimeException | Error e) { // not started: its lease lapses, rather than being renewed for nothing
            ended.run();
            throw e;
        }
    }

    private void forEachRunOf(String jobId, Consumer<RunningJob> action) {
        running.values().stream().filter(job -> job.lease().jobId().equals(jobId)).forEach(action);
    }

    /**
     * A request for what room is left, on these runtimes; on a queue shared by a cluster it says too
     * which of them give a network here, which images it has and under which roots it lets jobs
     * mount, so that a job that needs what this node lacks waits for one that has it. Alone it says
     * none of these, and takes such a job to refuse it with the reason (as {@link #runtimesToOffer}
     * does for runtimes). Either way it takes no job with mounts for a while after this host could
     * not mount one (see {@link JobAttempt}), which went back to the queue to wait rather than be
     * taken again at once until its deliveries ran out.
     */
    private LeaseRequest leaseRequest(List<RuntimeStatus> offer) {
        LeaseRequest request = capacity.request(config.nodeName(), config.leaseFor(), offer).labelled(labels);
        boolean mountsBenched = System.nanoTime() - mountsFailedAt < benchFor.toNanos();
        if (queue.nodeRegistry().isEmpty()) {
            return mountsBenched ? request.mountingUnder(Set.of()) : request;
        }
        return request.offering(networkRuntimes(offer), imageNames.get()).mountingUnder(mountsBenched ? Set.of() : mountRoots);
    }

    /**
     * Whether a job that asks for a network may get one here: the node allows it and one of its
     * runtimes can, now or once back in service (as a cluster's server counts it, so that such a
     * job waits for the runtime rather than being refused).
     */
    private boolean givesNetwork(List<RuntimeStatus> runtimes) {
        return config.networkAllowed() && runtimes.stream().anyMatch(r -> r.capabilities().givesNetwork());
    }

    /** Those of these runtimes that may give a job that asks for a network one now: none unless the node allows it. */
    private Set<String> networkRuntimes(List<RuntimeStatus> among) {
        if (!config.networkAllowed()) {
            return Set.of();
        }
        return among.stream().filter(r -> r.probe().available())
                .filter(r -> r.capabilities().givesNetwork())
                .map(RuntimeStatus::name).collect(Collectors.toSet());
    }

    /**
     * On a queue shared by a cluster, the runtimes this node has, so that a job it cannot run waits
     * for a node that can; alone, none (the lease takes any job), so that it takes every job and
     * refuses with the reason (recorded on the job) one that no runtime here may run, instead of
     * leaving it queued for ever. While a runtime is benched its jobs wait, alone too; with every
     * runtime this node has benched it offers nothing (empty: no lease).
     */
    private Optional<List<RuntimeStatus>> runtimesToOffer() {
        List<RuntimeStatus> now = runtimes();
        boolean anyBenched = !now.equals(statuses); // runtimes() differs from the probe only by benched runtimes
        if (!queue.nodeRegistry().isPresent() && !anyBenched) {
            return Optional.of(List.of());
        }
        // an offer of no runtime reads as "any": with none usable, take nothing
        return now.stream().anyMatch(s -> s.probe().available()) ? Optional.of(now) : Optional.empty();
    }

    /** A runtime driver of this node by name. */
    public Optional<SandboxRuntime> runtime(String name) {
        return Optional.ofNullable(runtimes.get(name));
    }

    private void onJobChanged(Job job) {
        if (job.cancelRequested()) {
            if (!job.isFinal()) { // a final one is leased no more
                cancelsHeard.heard(job.id()); // first: a run put in place meanwhile finds it, or is found below
            }
            forEachRunOf(job.id(), held -> held.stop(StopReason.CANCELLED));
        }
        if (job.state() == dev.hangar.core.job.JobState.QUEUED) {
            wake.wake();
        }
    }

    /**
     * Renews every lease at once, each on a virtual thread of its own, without waiting: a slow or
     * hung renewal holds up no other job's. A job whose last renewal is still under way is left out
     * of this pass; if it stays so, the lease watch stops the job before its lease runs out.
     */
    private void renewLeases() {
        for (RunningJob job : running.values()) {
            if (job.renewalBegins()) {
                renewing.execute(() -> {
                    try {
                        renew(job);
                    } finally {
                        job.renewalEnded();
                    }
                });
            }
        }
    }

    private void renew(RunningJob job) {
        try {
            long[] sent = new long[1]; // of the try that was answered
            LeaseStatus status = renewalRetry.call("renewing the lease of job " + job.lease().jobId(), () -> {
                if (running.get(job.lease().token()) != job) {
                    return null; // it ended meanwhile: its lease is no more this node's to keep
                }
                sent[0] = System.nanoTime();
                return queue.renew(job.lease());
            });
            if (status == null) {
                return;
            }
            switch (status) {
                case CANCEL_REQUESTED -> job.stop(StopReason.CANCELLED);
                case LOST -> job.leaseLost();
                case HELD -> job.heldUntil(sent[0] + config.leaseFor().toNanos());
            }
        } catch (RuntimeException e) {
            if (stopping && Thread.currentThread().isInterrupted()) {
                // cut short by the stop (its retry's pause interrupted): the stop hands the lease back itself
                LOG.log(System.Logger.Level.DEBUG, "renewing the lease of job " + job.lease().jobId()
                        + " ended by the stop", e);
                return;
            }
            // one warning for all the jobs' renewals: each job that must stop for it says so on its own
            renewalWarning.failed(" (job " + job.lease().jobId() + ")", e);
            return;
        }
        renewalWarning.succeeded();
    }

    /**
     * Stops a job whose lease this node could not renew (the queue out of its reach) before the lease
     * runs out, so that it does not still run here when the queue hands it to another node. It is
     * stopped with one renewal period left, for the kill: after four renewals in a row failed or
     * came late.
     */
    private void stopJobsWhoseLeaseRunsOut() {
        long now = System.nanoTime();
        long margin = renewEvery().toNanos();
        for (RunningJob job : running.values()) {
            if (job.leftNanos(now) < margin && !job.stopRequested().isDone()) {
                LOG.log(System.Logger.Level.WARNING, "job " + job.lease().jobId() + ": its lease could not be renewed and"
                        + " runs out in " + Math.max(0, job.leftNanos(now) / 1_000_000) + " ms; stopping it here, as the"
                        + " queue will hand it to another node");
                job.stop(StopReason.LEASE_RUNNING_OUT);
            }
        }
    }

    private void requeueExpired() {
        if (queue.requeueExpired() > 0) {
            wake.wake();
        }
    }

    /** A sixth of the lease: a renewal or two may fail or come late before a job must be stopped. */
    private Duration renewEvery() {
        return config.leaseFor().dividedBy(6);
    }

    /** A periodic task that logs what it throws, Errors too: a scheduled task that throws is never run again. */
    private static Runnable guarded(String what, Runnable task) {
        var warning = new RepeatedWarning(LOG, what);
        return () -> {
            try {
                task.run();
                warning.succeeded();
            } catch (RuntimeException | Error e) {
                warning.failed("; trying again next time", e);
            }
        };
    }

    /**
     * Stops taking jobs, kills the running ones and hands them back to the queue for another try;
     * if some do not end in time, their leases are left to run out instead, so that no other node
     * runs a job while it still runs here.
     */
    @Override
    public void close() {
        stopping = true;
        wake.wake();
        boolean ended = false;
        try {
            if (loop != null) {
                // first, so that a job leased just before the stop is stopped with the others; one leased after is
                // never launched (stopping), nor is one whose lease call outlives this wait
                loop.join(LEASE_CALL_WAIT_ON_STOP);
            }
            running.values().forEach(job -> job.stop(StopReason.AGENT_STOPPING));
            jobs.shutdown();
            // again: a launch that passed its check before the stop and stalled past the wait is in running by now
            // (it is put there before it is handed to the executor, which takes no job after this)
            running.values().forEach(job -> job.stop(StopReason.AGENT_STOPPING));
            ended = jobs.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
        renewals.shutdownNow();
        renewing.shutdownNow();
        upkeep.shutdownNow();
        pins.removeOwnDirectoryIfEmpty(); // it holds pins still if some job did not end: then it stays
        try {
            // before the pools' teardown, which may wait up to 30 s for sandboxes being made: no renewal runs now
            handBackLeases(ended);
        } catch (QueueException e) {
            // a stop while the queue is away still stops: the leases run out and other nodes take the jobs
            QueueException.warn(LOG, "handing this node's jobs back to the queue failed; they go to other nodes once"
                    + " their leases run out, within " + config.leaseFor().toSeconds() + " s", e);
        }
        if (pools != null) {
            pools.close();
        }
        if (subscription != null) {
            try {
                subscription.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the queue subscription failed", e);
            }
        }
    }

    /** Hands this stopping node's jobs back, not counted against them (see JobQueue#handBackAtStop). */
    private void handBackLeases(boolean ended) {
        if (ended) {
            queue.handBackAtStop(config.nodeName(), Set.of());
            return;
        }
        // why not all or nothing: the jobs that did stop go back at once; those still running here
        // keep their leases, to run out, so that no other node runs them meanwhile
        Set<String> stillRunning = Set.copyOf(running.keySet());
        LOG.log(System.Logger.Level.WARNING, "{0} job(s) did not stop in time; their leases are left to run out",
                stillRunning.size());
        try {
            queue.handBackAtStop(config.nodeName(), stillRunning);
        } catch (UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "this queue cannot give back some leases only", e);
        }
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
