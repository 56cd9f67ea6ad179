package dev.hangar.agent.pool;

import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.select.WarmPools;
import java.time.Clock;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The warm pools of a node. A job takes a ready sandbox from the smallest pool it fits
 * ({@link #take}); refills run on the pools' own threads, never on a job's path; a keeper checks
 * every pool periodically for dead launchers and idle sandboxes.
 */
public final class PoolManager implements PoolsView, AutoCloseable {
    private final Map<String, SandboxRuntime> pooled;
    private final MemoryBudget budget;
    private final PoolConfig config;
    private final Clock clock;
    private final Map<String, WarmPool> pools = new LinkedHashMap<>();
    /** Whether the node is drained (see {@link #pause}); guarded by {@code pools}, as a pool made now must heed it. */
    private boolean paused;
    /** Whether {@link #close} began; guarded by {@code pools}. */
    private boolean closed;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
            .daemon().name("pool-keeper").factory());
    private final Semaphore makers;
    private final ImageVersions images;
    /** Held while sandboxes are destroyed for the memory of jobs (see {@link #yieldToJobs}). */
    private final Object yielding = new Object();

    /**
     * @param runtimes       the node's usable runtimes; those that start sandboxes ahead of a job may back pools
     * @param nodeMemoryMb   the node's memory, for the default budget
     */
    public PoolManager(PoolConfig config, List<SandboxRuntime> runtimes, long nodeMemoryMb, Clock clock) {
        this(config, runtimes, nodeMemoryMb, () -> nodeMemoryMb, clock);
    }

    /**
     * @param leftByJobsMb the node's memory its jobs have not reserved, now: the pools never hold more,
     *                     and give back what they hold beyond it when {@link #yieldToJobs} is called
     */
    public PoolManager(PoolConfig config, List<SandboxRuntime> runtimes, long nodeMemoryMb, LongSupplier leftByJobsMb,
            Clock clock) {
        this(config, runtimes, nodeMemoryMb, leftByJobsMb, ImageVersions.NONE, clock);
    }

    /** @param images when each image was made: a pool's sandboxes of an image made again since are remade */
    public PoolManager(PoolConfig config, List<SandboxRuntime> runtimes, long nodeMemoryMb, LongSupplier leftByJobsMb,
            ImageVersions images, Clock clock) {
        this.images = images;
        this.config = config;
        this.clock = clock;
        this.budget = new MemoryBudget(config.budgetMb(nodeMemoryMb), leftByJobsMb);
        this.makers = new Semaphore(config.makers());
        var byName = new HashMap<String, SandboxRuntime>();
        runtimes.stream().filter(SandboxRuntime::prestarts).forEach(r -> byName.put(r.name(), r));
        this.pooled = Map.copyOf(byName);
    }

    /** Creates the configured pools (refusing a bad one, naming it) and starts the keeper. */
    public PoolManager start() {
        // why: all checked before any starts filling, so a bad one leaves nothing running
        var names = new java.util.HashSet<String>();
        for (PoolSpec spec : config.pools()) {
            try {
                check(spec);
            } catch (InvalidSpecException e) {
                throw new IllegalArgumentException("--pool " + spec.name() + ": " + e.getMessage(), e);
            }
            if (!names.add(spec.name())) {
                throw new IllegalArgumentException("--pool " + spec.name() + ": name: two pools have this name");
            }
        }
        config.pools().forEach(this::put);
        long every = config.checkEvery().toMillis();
        keeper.scheduleWithFixedDelay(this::upkeep, every, every, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The runtimes that may back a pool here. */
    public Set<String> pooledRuntimes() {
        return pooled.keySet();
    }

    /**
     * A ready sandbox for a job that runs in {@code runtime}, from the smallest pool it fits; empty
     * when none fits or every fitting pool is empty. The pool refills in the background. A job that
     * then starts cold says so with {@link #missed}.
     */
    public Optional<WarmSandbox> take(String runtime, JobSpec job) {
        for (WarmPool pool : fitting(runtime, job)) {
            Optional<WarmSandbox> taken = pool.take();
            refillSoon(pool); // also when empty: the take may have dropped dead sandboxes or an old image's
            if (taken.isPresent()) {
                return taken;
            }
        }
        return Optional.empty();
    }

    /**
     * A job that fits a pool of {@code runtime} starts cold there: the smallest such pool counts a miss
     * and grows. Called once the job's start is settled, not at each empty take: a job that finds the
     * pool empty and then takes a sandbox made meanwhile started warm (see {@code JobAttempt}).
     */
    public void missed(String runtime, JobSpec job) {
        List<WarmPool> fitting = fitting(runtime, job);
        if (!fitting.isEmpty()) {
            fitting.getFirst().missed();
            refillSoon(fitting.getFirst());
        }
    }

    /**
     * Destroys ready sandboxes, of the pools with the largest first and each pool's idle longest, until
     * the pools hold no more memory than the node's jobs leave: a warm sandbox is a cache, and a job that needs its memory comes first.
     * Sandboxes still starting are not waited for. Returns how many were destroyed.
     *
     * <p>One caller at a time: jobs starting together each saw the pools over and each destroyed one, where
     * one was all they needed.
     */
    public int yieldToJobs() {
        synchronized (yielding) {
            int evicted = 0;
            while (budget.overMb() > 0) {
                Optional<WarmPool> largest = snapshot().stream().filter(pool -> pool.readyCount() > 0)
                        .max(Comparator.comparing(pool -> pool.spec().memoryMb()));
                if (largest.isEmpty() || !largest.get().evictOne()) {
                    break;
                }
                evicted++;
            }
            return evicted;
        }
    }

    /** For the runtime selector: how many ready sandboxes each runtime's pools hold for this job. */
    public WarmPools readyFor(JobSpec job) {
        var ready = new HashMap<String, Integer>();
        for (WarmPool pool : snapshot()) {
            String runtime = pool.spec().runtime();
            if (pool.fits(runtime, job)) {
                ready.merge(runtime, pool.liveReadyCount(), Integer::sum);
            }
        }
        return new WarmPools(ready);
    }

    @Override
    public List<PoolStatus> pools() {
        return snapshot().stream().map(WarmPool::status).toList();
    }

    @Override
    public Budget budget() {
        return new Budget(budget.totalMb(), budget.heldMb());
    }

    @Override
    public Put put(PoolSpec spec) {
        check(spec);
        WarmPool existing;
        WarmPool created = null;
        synchronized (pools) {
            refuseIfClosed();
            existing = pools.get(spec.name());
            if (existing == null || !existing.spec().runtime().equals(spec.runtime())) {
                created = new WarmPool(spec, pooled.get(spec.runtime()), budget, workers, makers, images, clock);
                created.pause(paused);
                pools.put(spec.name(), created);
            }
        }
        if (created == null) {
            existing.update(spec);
            return new Put(existing.status(), false);
        }
        if (existing != null) {
            existing.close(); // another runtime: a pool of its own under the same name
        }
        created.fill();
        return new Put(created.status(), existing == null);
    }

    @Override
    public Optional<PoolStatus> remove(String name) {
        WarmPool pool;
        synchronized (pools) {
            refuseIfClosed();
            pool = pools.remove(name);
        }
        if (pool == null) {
            return Optional.empty();
        }
        pool.close();
        return Optional.of(pool.status());
    }

    /**
     * While the node is drained ({@code pause} true) it takes no jobs, so its pools hold nothing: their
     * sandboxes are destroyed, and they make none (pools put meanwhile included) until it is resumed,
     * when they fill again. Each pool's status says why it is empty.
     */
    public void pause(boolean pause) {
        // why all under the lock, though the pools' own calls only start work: a resume right after a
        // drain must not reach a pool before the drain does
        synchronized (pools) {
            paused = pause;
            pools.values().forEach(pool -> pool.pause(pause));
        }
    }

    /** Why under the pools' lock: {@link #close} sets it there, so no put fills a pool after the workers stopped. */
    private void refuseIfClosed() {
        if (closed) {
            throw new Stopping();
        }
    }

    /** The spec's own checks, and whether this node can do what it asks (cores, snapshots). */
    private void check(PoolSpec spec) {
        spec.validate(pooled.keySet());
        int cores = Runtime.getRuntime().availableProcessors();
        if (spec.cpus() > cores) {
            // why: no job may ask for more than the node's cores, nor reserve more than --cpus, so none could ever
            // take a sandbox bigger than either
            throw new InvalidSpecException("cpus", "must be at most " + cores + " (this node's cores), got " + spec.cpus());
        }
        if (config.jobCpus() > 0 && spec.cpus() > config.jobCpus()) {
            throw new InvalidSpecException("cpus", "must be at most " + config.jobCpus() + " (the CPUs this node's jobs may"
                    + " reserve, --cpus), got " + spec.cpus());
        }
        long floor = pooled.get(spec.runtime()).capabilities().memoryFloorMb();
        if (spec.memoryMb() < floor) {
            // why: the selection rules give the runtime no job below its floor, and a pool's jobs have its memory
            throw new InvalidSpecException("memoryMb", "must be at least " + floor + " (the least runtime '"
                    + spec.runtime() + "' runs a job in on this node), got " + spec.memoryMb());
        }
        if (spec.memoryMb() > budget.totalMb()) {
            // why refused, not kept short: not one sandbox of it could ever be made here
            throw new InvalidSpecException("memoryMb", "must be at most " + budget.totalMb() + " (this node's memory for"
                    + " pools, --pool-memory-mb), got " + spec.memoryMb());
        }
        if (spec.snapshot() && pooled.get(spec.runtime()).snapshots().isEmpty()) {
            // the field the user gave: prepare implies a snapshot
            throw new InvalidSpecException(spec.prepare() != null ? "prepare" : "snapshot", "runtime '" + spec.runtime()
                    + "' cannot snapshot sandboxes on this node (see its probe in 'hangar runtimes')"
                    + (spec.prepare() != null ? "; a pool with prepare restores sandboxes from a snapshot" : ""));
        }
    }

    private List<WarmPool> fitting(String runtime, JobSpec job) {
        return snapshot().stream()
                .filter(pool -> pool.fits(runtime, job))
                .sorted(Comparator.comparing((WarmPool p) -> p.spec().memoryMb()).thenComparing(p -> p.spec().cpus()))
                .toList();
    }

    private List<WarmPool> snapshot() {
        synchronized (pools) {
            return List.copyOf(pools.values());
        }
    }

    private void refillSoon(WarmPool pool) {
        try {
            keeper.execute(pool::fill);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: nothing to refill
        }
    }

    /**
     * One round of the keeper's care over every pool (also run by tests, to not wait for it). It
     * also yields to jobs what sandboxes that were starting when a job needed their memory hold now.
     */
    void upkeep() {
        for (WarmPool pool : snapshot()) {
            try {
                pool.upkeep();
            } catch (RuntimeException | Error e) { // why Errors too: see below
                System.getLogger(PoolManager.class.getName()).log(System.Logger.Level.WARNING,
                        "warm pool " + pool.spec().name() + ": upkeep failed", e);
            }
        }
        try {
            yieldToJobs();
        } catch (RuntimeException | Error e) { // why caught: a scheduled task that throws is never run again
            System.getLogger(PoolManager.class.getName()).log(System.Logger.Level.WARNING,
                    "warm pools: giving memory back to jobs failed", e);
        }
    }

    /** Stops refilling and destroys every ready sandbox; sandboxes still starting are destroyed as they come up. */
    @Override
    public void close() {
        synchronized (pools) {
            if (closed) {
                return;
            }
            closed = true;
        }
        keeper.shutdownNow();
        snapshot().forEach(WarmPool::close);
        workers.shutdown();
        try {
            workers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
