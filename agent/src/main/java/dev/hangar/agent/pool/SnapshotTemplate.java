package dev.hangar.agent.pool;

import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.Snapshotting;
import dev.hangar.core.runtime.Snapshotting.Snapshot;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The snapshot a pool restores its sandboxes from: made once, on first need, by booting a sandbox
 * like the pool's, running the pool's prepare step in it and saving it; made again when the pool's
 * sandboxes change, or once sandboxes could not be restored from it twice in a row (its files damaged
 * or gone, or the runtime changed under it), rather than be tried by every make until the agent
 * restarts. Why twice: one failure may be the host's (a launcher slow under load, a cgroup refused),
 * and making the template again means booting and preparing anew, minutes for some pools.
 * Restoring skips the boot and the preparation for every sandbox after the first.
 */
final class SnapshotTemplate {
    private static final System.Logger LOG = System.getLogger(SnapshotTemplate.class.getName());

    private final SandboxRuntime runtime;
    /**
     * Held while the template is made, which may take long (its prepare step): a lock rather than a
     * monitor, as the makes that wait for it run on virtual threads, which a monitor pins to their
     * carriers before Java 24.
     */
    private final ReentrantLock lock = new ReentrantLock();
    private PoolSpec madeFor;
    private Snapshot snapshot;
    /** A template a restore failed from: made again at the next make. Set without the lock (see restore). */
    private final AtomicReference<Snapshot> failedToRestore = new AtomicReference<>();
    /**
     * A template whose restore failed once, and when (System.nanoTime): a failure of a restore begun after that has
     * it made again; one of a restore that ran beside it (makers restore at once) is the same trouble of the host's.
     */
    private final AtomicReference<FailedOnce> failedOnce = new AtomicReference<>();

    private record FailedOnce(Snapshot template, long atNanos) {}
    /** Set by {@link #close} before it waits for the lock: a make under way ends rather than saves a template. */
    private volatile boolean closed;
    /**
     * The sandbox a template is being made in, and for which pool, while one is: a close, or a change of the pool's
     * sandboxes, destroys it, ending a prepare step that may run for minutes, rather than wait for it holding the
     * lock (and a maker's turn) the changed pool's makes wait for.
     */
    private volatile Making making;

    private record Making(Sandbox sandbox, PoolSpec pool) {}
    /** The last try to make the template, if it failed: for which pool, why, and when (System.nanoTime). */
    private PoolSpec failedFor;
    private String failure;
    private long failedAtNanos;
    private final ImageVersions images;
    /** When the image the template was made of was made: an image made again since needs a new template. */
    private Optional<Instant> madeFrom = Optional.empty();

    SnapshotTemplate(SandboxRuntime runtime, ImageVersions images) {
        this.runtime = runtime;
        this.images = images;
    }

    /**
     * The template for {@code pool}, made first if need be, which takes one of {@code makers}' turns
     * while it boots and prepares. A make that waits for another's template holds no turn meanwhile,
     * so that the other pools' makes go on. {@code askedAtNanos} (System.nanoTime) is when the make
     * that asks began: one that waited while the template failed gets that failure at once rather than
     * make it again in turn. Null, and nothing made, once {@code stale} holds (checked after each wait):
     * a make of the pool as it was must not replace the template of the pool as it is now.
     */
    Snapshot template(PoolSpec pool, SandboxSpec spec, long askedAtNanos, Semaphore makers, BooleanSupplier stale)
            throws SandboxException, InterruptedException {
        Snapshotting snapshots = snapshots();
        lock.lock();
        try {
            return stale.getAsBoolean() ? null : templateLocked(pool, spec, snapshots, askedAtNanos, makers, stale);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A sandbox restored from {@code template}, its launcher waiting. Takes no lock, as it runs in a
     * maker's turn, which the template's make may be waiting for under the lock.
     */
    Sandbox restore(Snapshot template, SandboxSpec spec) throws SandboxException {
        long began = System.nanoTime();
        Sandbox restored;
        try {
            restored = snapshots().restore(template, spec);
        } catch (SandboxException | RuntimeException e) {
            FailedOnce before = failedOnce.get();
            // (one of an older template counts for nothing)
            boolean again = before != null && before.template().equals(template) && began - before.atNanos() > 0;
            if (!again) {
                if (before == null || !before.template().equals(template)) {
                    failedOnce.set(new FailedOnce(template, System.nanoTime()));
                }
                throw new SandboxException("restoring its snapshot template failed (tried again for the next sandbox,"
                        + " and made again should that fail too): " + e.getMessage(), e);
            }
            failedOnce.set(null);
            failedToRestore.set(template);
            throw new SandboxException("restoring its snapshot template failed again (it is made again for the next"
                    + " sandbox): " + e.getMessage(), e);
        }
        FailedOnce before = failedOnce.get();
        if (before != null && before.template().equals(template)) {
            failedOnce.compareAndSet(before, null);
        }
        return restored;
    }

    private Snapshotting snapshots() throws SandboxException {
        return runtime.snapshots().orElseThrow(
                () -> new SandboxException("runtime " + runtime.name() + " cannot snapshot sandboxes on this node"));
    }

    private Snapshot templateLocked(PoolSpec pool, SandboxSpec spec, Snapshotting snapshots, long askedAtNanos,
            Semaphore makers, BooleanSupplier stale) throws SandboxException, InterruptedException {
        if (closed) {
            throw new SandboxException("the pool " + pool.name() + " is closed; its template is not made again");
        }
        Optional<Instant> image = images.madeAtOr(pool.image(), madeFrom);
        if (snapshot != null && failedToRestore.compareAndSet(snapshot, null)) {
            discardLocked();
        }
        if (snapshot == null || madeFor == null || !madeFor.sameSandboxes(pool) || !image.equals(madeFrom)) {
            if (failure != null && failedFor.sameSandboxes(pool) && askedAtNanos - failedAtNanos < 0) {
                throw new SandboxException(failure);
            }
            makers.acquire();
            if (stale.getAsBoolean()) {
                makers.release();
                return null;
            }
            discardLocked();
            try {
                Sandbox template = runtime.create(new SandboxSpec(spec.id() + "-template", spec.image(), spec.resources(),
                        spec.network(), spec.mounts()));
                ProcessSpec prepare = pool.prepare() == null ? null
                        : new ProcessSpec(List.of("/bin/sh", "-c", pool.prepare()), Map.of(), null);
                making = new Making(template, pool);
                try {
                    if (closed) { // (after making is set: a close either sees it or is seen here)
                        template.destroy();
                        throw new SandboxException("the pool " + pool.name() + " was closed; its template is not made");
                    }
                    snapshot = snapshots.snapshot(template, prepare);
                } finally {
                    making = null;
                }
                // as it was before the make, unless the make built it (a built-in on first use)
                madeFrom = image.isPresent() ? image : images.madeAtOr(pool.image(), image);
            } catch (SandboxException | RuntimeException e) {
                failedFor = pool;
                failure = "its snapshot template could not be made: " + e.getMessage();
                failedAtNanos = System.nanoTime();
                // the same words as to the makes that waited for it: the pool's last error reads alike
                throw new SandboxException(failure, e);
            } finally {
                makers.release();
            }
            madeFor = pool;
            failure = null;
        }
        return snapshot;
    }

    /** Deletes the template for good: its pool is gone, and a make still under way must not make it again. */
    void close() {
        closed = true;
        abandon(null);
        lock.lock();
        try {
            discardLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the make of a template under way for a pool whose sandboxes differ from {@code pool}'s (null: any). */
    void abandon(PoolSpec pool) {
        Making now = making;
        if (now != null && (pool == null || !now.pool().sameSandboxes(pool))) {
            try {
                now.sandbox().destroy(); // its prepare step, or checkpoint, then fails, and the make with it
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "ending the template being made for pool " + now.pool().name()
                        + " failed", e);
            }
        }
    }

    /** Deletes the template, to be made again for the pool's next sandbox. */
    void discard() {
        lock.lock();
        try {
            discardLocked();
        } finally {
            lock.unlock();
        }
    }

    private void discardLocked() {
        if (snapshot == null) {
            return;
        }
        try {
            runtime.snapshots().orElseThrow().delete(snapshot);
        } catch (SandboxException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "deleting snapshot " + snapshot.id() + " failed", e);
        }
        snapshot = null;
        madeFor = null;
    }
}
