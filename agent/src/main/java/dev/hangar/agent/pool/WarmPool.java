package dev.hangar.agent.pool;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.Resources;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.Snapshotting.Snapshot;
import dev.hangar.runtime.support.LauncherScript;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * One warm pool: sandboxes of one runtime, image and size, started ahead of the jobs that take them.
 * It keeps {@code target} of them ready or starting: {@code min}, raised by one (up to {@code max})
 * for each job that found it empty, and lowered back as sandboxes beyond {@code min} idle out. Every
 * sandbox is charged to the node's {@link MemoryBudget} from its start until a job takes it.
 */
final class WarmPool {
    private static final System.Logger LOG = System.getLogger(WarmPool.class.getName());
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** A ready sandbox that dies this soon after it was made died of how it is made, not of old age. */
    private static final Duration YOUNG = Duration.ofSeconds(10);
    static final String PAUSED = "the node is drained: no sandboxes are kept until it is resumed";

    private final SandboxRuntime runtime;
    private final MemoryBudget budget;
    private final Executor workers;
    private final Semaphore makers;
    /** The wall clock, for the times a job records (when its sandbox was ready). */
    private final Clock clock;
    /** The clock of the pool's intervals: backoffs, idle expiry, young deaths ({@link IntervalClock}). */
    private final IntervalClock ticks;
    private final SnapshotTemplate template;
    private final ImageVersions images;
    /** When the image of the pool's sandboxes and template was made, as upkeep last read it. */
    private Optional<Instant> imageMadeAt;
    /**
     * Oldest first, and jobs take the oldest: a sandbox just made may still be settling (a gVisor
     * sandbox's first exec right after its launcher came up took ~100 ms where a settled one took ~15).
     */
    private final ArrayDeque<Ready> ready = new ArrayDeque<>();
    private PoolSpec spec;
    /** Bumped when the pool's sandboxes change kind or it is removed: sandboxes of an older one are not kept. */
    private long generation;
    private boolean closed;
    /** Its node is drained: it keeps no sandbox (nor makes one) until the node is resumed. */
    private boolean paused;
    private int starting;
    private int inUse;
    private int target;
    private long served;
    private long missed;
    private long replaced;
    private long expired;
    private long evicted;
    private long failed;
    private String limitedBy;
    private String lastError;
    private Instant retryAfter;
    private Duration backoff = FIRST_BACKOFF;
    /** Its last sandboxes died soon after they were made: a make that works is no sign that they live. */
    private boolean diesYoung;
    private Instant lastMiss;

    /** @param readyAt the wall clock's time, as the job records it; {@code readyTick} the interval clock's */
    private record Ready(Sandbox sandbox, Instant readyAt, Instant readyTick) {}

    WarmPool(PoolSpec spec, SandboxRuntime runtime, MemoryBudget budget, Executor workers, Semaphore makers,
            ImageVersions images, Clock clock) {
        this.images = images;
        this.imageMadeAt = images.madeAtOr(spec.image(), Optional.empty());
        this.spec = spec;
        this.runtime = runtime;
        this.budget = budget;
        this.workers = workers;
        this.makers = makers;
        this.clock = clock;
        this.ticks = new IntervalClock(clock);
        this.template = new SnapshotTemplate(runtime, images);
        this.target = spec.min();
    }

    synchronized PoolSpec spec() {
        return spec;
    }

    /**
     * Whether a job that runs in {@code chosenRuntime} may take a sandbox of this pool: the same image (as the runtime
     * runs it: busybox, named or not, on one that gives it to a job that names none), the very limits the pool's
     * sandboxes were made with, and nothing they lack (mounts, GPUs, a network). Limits are equal, not merely
     * within: a sandbox keeps the limits it was made with, and a job that asked for less would run under more than
     * it asked for and the node reserved.
     */
    synchronized boolean fits(String chosenRuntime, JobSpec job) {
        Resources r = job.resources();
        return !closed && spec.runtime().equals(chosenRuntime) && LauncherScript.startsAsCold(job.command(), job.env())
                && Objects.equals(runtime.imageOf(spec.image()), runtime.imageOf(job.image()))
                && job.mounts().isEmpty() && job.gpusWanted() == 0 && !job.profile().needs().network()
                && r.cpus().doubleValue() == spec.cpus() && r.memoryMb().longValue() == spec.memoryMb()
                && r.pids() == Resources.DEFAULT_PIDS && r.diskMb() == Resources.DEFAULT_DISK_MB;
    }

    /** A ready sandbox whose launcher is alive, now; dead ones met on the way are replaced. Never blocks on a sandbox. */
    synchronized Optional<WarmSandbox> take() {
        // not only at upkeep: a sandbox of an image imported again since must not serve a job meanwhile
        followImage();
        Ready next;
        while ((next = ready.pollFirst()) != null) {
            budget.release(spec.memoryMb());
            if (next.sandbox().launcherReady()) {
                diesYoung = false; // one lived to serve a job
                served++;
                inUse++;
                return Optional.of(new WarmSandbox(next.sandbox(), spec.name(), next.readyAt(), spec.snapshot(), this::jobDone));
            }
            replaced++;
            destroyLater(next.sandbox());
            // why here too: on a busy node the jobs' takes meet the dead before the upkeep does
            if (Duration.between(next.readyTick(), ticks.now()).compareTo(YOUNG) < 0) {
                diedYoung();
            }
        }
        return Optional.empty();
    }

    /**
     * While its node is drained ({@code pause} true), the pool's ready sandboxes are destroyed and those
     * starting are not kept, and it makes none until it is resumed, then fills as before. Its snapshot
     * template, if any, is kept: restoring from it is what makes a resumed node warm again soon.
     */
    synchronized void pause(boolean pause) {
        if (pause == paused || closed) {
            return;
        }
        paused = pause;
        if (pause) {
            drain();
            generation++; // those starting are destroyed as they come up
            limitedBy = PAUSED;
        } else {
            limitedBy = null;
            fill();
        }
    }

    /** A job that fits found the pool empty: it starts cold, and the pool grows by one towards max. */
    synchronized void missed() {
        missed++;
        if (paused) {
            return; // empty because its node is drained (a job leased just before), not for want of sandboxes
        }
        lastMiss = ticks.now();
        target = Math.min(spec.max(), target + 1);
    }

    private synchronized void jobDone() {
        inUse--;
    }

    /**
     * Periodic care: remakes everything if its image was made again, replaces dead sandboxes, lets
     * idle ones beyond min go, then refills.
     */
    synchronized void upkeep() {
        followImage();
        Instant now = ticks.now();
        boolean diedYoung = false;
        for (Iterator<Ready> it = ready.iterator(); it.hasNext(); ) {
            Ready r = it.next();
            if (!r.sandbox().launcherReady()) {
                it.remove();
                budget.release(spec.memoryMb());
                replaced++;
                destroyLater(r.sandbox());
                diedYoung |= Duration.between(r.readyTick(), now).compareTo(YOUNG) < 0;
            }
        }
        if (diedYoung) {
            diedYoung();
        } else if (diesYoung && ready.stream().anyMatch(r -> Duration.between(r.readyTick(), now).compareTo(YOUNG) >= 0)) {
            diesYoung = false; // they live again
            backoff = FIRST_BACKOFF;
        }
        // oldest first: those idle longest
        for (Iterator<Ready> it = ready.iterator(); it.hasNext() && ready.size() + starting > spec.min(); ) {
            Ready r = it.next();
            if (Duration.between(r.readyTick(), now).compareTo(spec.idleExpiry()) >= 0) {
                it.remove();
                budget.release(spec.memoryMb());
                expired++;
                destroyLater(r.sandbox());
            }
        }
        if (lastMiss == null || Duration.between(lastMiss, now).compareTo(spec.idleExpiry()) >= 0) {
            target = Math.max(spec.min(), Math.min(target, ready.size() + starting));
        }
        fill();
    }

    /**
     * Something kills the pool's sandboxes as they are made (the host's OOM killer, a limit too tight): making them
     * again at once, each second, would only churn; the pool backs off and says so.
     */
    private void diedYoung() {
        diesYoung = true;
        backOff("a ready sandbox died within " + YOUNG.toSeconds() + " s of being made (killed by the host or the"
                + " runtime, e.g. for memory?)");
    }

    /** Remakes everything if the pool's image was made again or removed since last read. */
    private void followImage() {
        Optional<Instant> madeAt = images.madeAtOr(spec.image(), imageMadeAt);
        if (!madeAt.equals(imageMadeAt)) {
            // a first make (a built-in, built on first use) is kept
            if (imageMadeAt.isPresent()) {
                remake();
            }
            imageMadeAt = madeAt;
        }
    }

    /** Starts sandboxes until ready + starting reaches the target, as far as the memory budget lets it. */
    synchronized void fill() {
        if (closed || paused || backingOff()) {
            return;
        }
        limitedBy = null;
        while (ready.size() + starting < target) {
            if (!budget.tryHold(spec.memoryMb())) {
                if (ready.size() + starting < spec.min()) {
                    limitedBy = budget.limit(spec.memoryMb());
                }
                return;
            }
            starting++;
            PoolSpec made = spec;
            long madeIn = generation;
            workers.execute(() -> make(made, madeIn));
        }
    }

    /** Whether a failure's backoff is not over: no make starts meanwhile. */
    private synchronized boolean backingOff() {
        return retryAfter != null && ticks.now().isBefore(retryAfter);
    }

    /** Whether the pool was closed or changed since generation {@code madeIn}. */
    private synchronized boolean stale(long madeIn) {
        return closed || madeIn != generation;
    }

    /**
     * Whether a make begun in generation {@code madeIn} is no longer wanted: the pool closed or changed, or a make
     * failed since and the pool backs off (those of one fill queued behind the first would each try the runtime that
     * just failed, holding the makers' turns of every other pool meanwhile). If so, it no longer counts as starting.
     */
    private synchronized boolean unwanted(long madeIn) {
        if (!stale(madeIn) && !backingOff()) {
            return false;
        }
        starting--;
        return true;
    }

    /** A sandbox made for a pool that closed or changed meanwhile; its memory and count are given back already. */
    private static void destroyUnkept(PoolSpec made, Sandbox sandbox) {
        try {
            sandbox.destroy();
        } catch (RuntimeException e) { // not into make's failure path, which would give them back twice
            LOG.log(System.Logger.Level.WARNING, "warm pool " + made.name() + ": destroying a sandbox it no longer wants "
                    + "failed", e);
        }
    }

    private void make(PoolSpec made, long madeIn) {
        long asked = System.nanoTime();
        SandboxSpec sandboxSpec;
        Snapshot from;
        try {
            sandboxSpec = sandboxSpec(made);
            // the template first, outside a maker's turn (see SnapshotTemplate.template); none for a pool changed meanwhile
            from = made.snapshot() ? template.template(made, sandboxSpec, asked, makers, () -> stale(madeIn)) : null;
            makers.acquire();
        } catch (SandboxException | RuntimeException | Error e) {
            madeNothing(made, madeIn, e);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            budget.release(made.memoryMb());
            synchronized (this) {
                starting--;
            }
            return;
        }
        Sandbox sandbox;
        try {
            if (unwanted(madeIn)) {
                // closed, changed or backing off while this waited its turn: nothing is made
                budget.release(made.memoryMb());
                return;
            }
            try {
                sandbox = from != null ? template.restore(from, sandboxSpec) : boot(made);
            } catch (SandboxException | RuntimeException | Error e) {
                madeNothing(made, madeIn, e); // within the turn: the make given it next then sees the backoff
                return;
            }
        } finally {
            makers.release();
        }
        keep(made, madeIn, sandbox);
    }

    /** A make that failed: said, its memory given back, and the pool backed off. */
    private void madeNothing(PoolSpec made, long madeIn, Throwable e) {
        // why Errors too: a make that ends without this would count as starting for ever, and the pool never refill
        try {
            if (e instanceof SandboxException) {
                // the runtime's own account of why (an image gone, a limit): said once per try, without a trace
                LOG.log(System.Logger.Level.WARNING, "warm pool " + made.name() + ": making a sandbox failed: "
                        + e.getMessage());
            } else {
                LOG.log(System.Logger.Level.WARNING, "warm pool " + made.name() + ": making a sandbox failed", e);
            }
        } finally {
            budget.release(made.memoryMb());
            failed(madeIn, e);
        }
    }

    /** A sandbox made: ready for a job, or destroyed if the pool was closed or changed meanwhile. */
    private void keep(PoolSpec made, long madeIn, Sandbox sandbox) {
        Instant readyAt = clock.instant();
        Instant readyTick = ticks.now();
        synchronized (this) {
            starting--;
            // why the max: it may have been lowered while this one was being made (an operator freeing memory)
            if (!closed && madeIn == generation && ready.size() < spec.max()) {
                ready.addLast(new Ready(sandbox, readyAt, readyTick));
                if (!diesYoung) { // a make that works, unless what it makes then dies young (see upkeep)
                    retryAfter = null;
                    backoff = FIRST_BACKOFF;
                }
                return;
            }
        }
        budget.release(made.memoryMb());
        destroyUnkept(made, sandbox);
    }

    /**
     * A make failed. Only one for the pool as it is now backs the pool off and shows its error: a spec
     * changed since (a mended image, say) owes nothing to the old spec's failures.
     */
    private synchronized void failed(long madeIn, Throwable e) {
        starting--;
        if (closed || madeIn != generation) {
            return;
        }
        // why: a runtime that cannot make sandboxes now must not be hammered by every refill
        backOff(String.valueOf(e.getMessage()));
    }

    /**
     * A failure of the pool as it is now: counted, shown, and no make before the backoff is over. Only the first of a
     * round lengthens the backoff: the other makes of a fill that fail with it (or wait on its snapshot template) are
     * the same failure, not a failure again after a pause.
     */
    private void backOff(String error) {
        failed++;
        lastError = error;
        Instant now = ticks.now();
        if (retryAfter != null && now.isBefore(retryAfter)) {
            return;
        }
        retryAfter = now.plus(backoff);
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }

    /** Takes a changed spec: sizes and expiry apply at once; sandboxes of another kind are dropped and remade. */
    synchronized void update(PoolSpec changed) {
        if (!spec.sameSandboxes(changed)) {
            remake(); // before the spec changes: the ready ones give back the memory they were charged
            workers.execute(() -> template.abandon(changed)); // a template of the old sandboxes: minutes to wait for
            if (!changed.snapshot()) {
                // a template kept would hold its disk (a sandbox's memory, for gVisor) until the pool went
                workers.execute(template::discard);
            }
            imageMadeAt = images.madeAtOr(changed.image(), Optional.empty());
        }
        spec = changed;
        target = Math.max(changed.min(), Math.min(changed.max(), target));
        while (ready.size() > changed.max()) {
            Ready r = ready.pollFirst();
            budget.release(spec.memoryMb());
            destroyLater(r.sandbox());
        }
        fill();
    }

    /**
     * The pool's sandboxes are of another kind from now on (its spec, or its image, changed): those
     * ready are destroyed and those starting are not kept. (The template checks its own kind and
     * image when a sandbox is restored from it.)
     */
    private void remake() {
        drain();
        generation++;
        retryAfter = null;
        backoff = FIRST_BACKOFF;
        diesYoung = false;
        lastError = null;
    }

    /** Destroys the ready sandboxes; those still starting are destroyed when they are up. */
    synchronized void close() {
        closed = true;
        generation++;
        drain();
        workers.execute(template::close);
    }

    private void drain() {
        Ready r;
        while ((r = ready.pollFirst()) != null) {
            budget.release(spec.memoryMb());
            destroyLater(r.sandbox());
        }
    }

    /** Destroys the ready sandbox idle longest, for a job that needs its memory; false if none is ready. */
    synchronized boolean evictOne() {
        Ready r = ready.pollFirst();
        if (r == null) {
            return false;
        }
        budget.release(spec.memoryMb());
        evicted++;
        destroyLater(r.sandbox());
        return true;
    }

    synchronized int readyCount() {
        return ready.size();
    }

    /** Ready sandboxes whose launcher is alive now, as a job would find them; the dead wait for upkeep. */
    synchronized int liveReadyCount() {
        return (int) ready.stream().filter(r -> r.sandbox().launcherReady()).count();
    }

    synchronized PoolStatus status() {
        return new PoolStatus(spec, ready.size(), starting, inUse, served, missed, replaced, expired, evicted, failed,
                target, (long) (ready.size() + starting) * spec.memoryMb(), limitedBy, lastError);
    }

    private void destroyLater(Sandbox sandbox) {
        workers.execute(sandbox::destroy);
    }

    private Sandbox boot(PoolSpec made) throws SandboxException {
        Sandbox sandbox = runtime.create(sandboxSpec(made));
        try {
            sandbox.prestart();
            return sandbox;
        } catch (SandboxException | RuntimeException e) {
            sandbox.destroy();
            throw e;
        }
    }

    private static SandboxSpec sandboxSpec(PoolSpec spec) {
        return new SandboxSpec(sandboxId(spec), spec.image(), spec.resources(), NetworkMode.NONE, List.of());
    }

    private static String sandboxId(PoolSpec spec) {
        return "pool-" + spec.name() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
