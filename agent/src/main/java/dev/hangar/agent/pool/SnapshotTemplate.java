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
import java.util.concurrent.locks.ReentrantLock;

/**
 * The snapshot a pool restores its sandboxes from: made once, on first need, by booting a sandbox
 * like the pool's, running the pool's prepare step in it and saving it; made again when the pool's
 * sandboxes change. Restoring skips the boot and the preparation for every sandbox after the first.
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
    private boolean closed;
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
     * A sandbox restored from the template for {@code pool} (making the template first if need be), its
     * launcher waiting. {@code askedAtNanos} (System.nanoTime) is when the make that asks began: one that
     * waited while the template failed gets that failure at once rather than make it again in turn.
     */
    Sandbox restore(PoolSpec pool, SandboxSpec spec, long askedAtNanos) throws SandboxException {
        Snapshotting snapshots = runtime.snapshots().orElseThrow(
                () -> new SandboxException("runtime " + runtime.name() + " cannot snapshot sandboxes on this node"));
        return snapshots.restore(templateFor(pool, spec, snapshots, askedAtNanos), spec);
    }

    private Snapshot templateFor(PoolSpec pool, SandboxSpec spec, Snapshotting snapshots, long askedAtNanos)
            throws SandboxException {
        lock.lock();
        try {
            return templateLocked(pool, spec, snapshots, askedAtNanos);
        } finally {
            lock.unlock();
        }
    }

    private Snapshot templateLocked(PoolSpec pool, SandboxSpec spec, Snapshotting snapshots, long askedAtNanos)
            throws SandboxException {
        if (closed) {
            throw new SandboxException("the pool " + pool.name() + " is closed; its template is not made again");
        }
        Optional<Instant> image = images.madeAtOr(pool.image(), madeFrom);
        if (snapshot == null || madeFor == null || !madeFor.sameSandboxes(pool) || !image.equals(madeFrom)) {
            if (failure != null && failedFor.sameSandboxes(pool) && askedAtNanos - failedAtNanos < 0) {
                throw new SandboxException(failure);
            }
            discardLocked();
            try {
                Sandbox template = runtime.create(new SandboxSpec(spec.id() + "-template", spec.image(), spec.resources(),
                        spec.network(), spec.mounts()));
                ProcessSpec prepare = pool.prepare() == null ? null
                        : new ProcessSpec(List.of("/bin/sh", "-c", pool.prepare()), Map.of(), null);
                snapshot = snapshots.snapshot(template, prepare);
                // as it was before the make, unless the make built it (a built-in on first use)
                madeFrom = image.isPresent() ? image : images.madeAtOr(pool.image(), image);
            } catch (SandboxException | RuntimeException e) {
                failedFor = pool;
                failure = "its snapshot template could not be made: " + e.getMessage();
                failedAtNanos = System.nanoTime();
                // the same words as to the makes that waited for it: the pool's last error reads alike
                throw new SandboxException(failure, e);
            }
            madeFor = pool;
            failure = null;
        }
        return snapshot;
    }

    /** Deletes the template for good: its pool is gone, and a make still under way must not make it again. */
    void close() {
        lock.lock();
        try {
            closed = true;
            discardLocked();
        } finally {
            lock.unlock();
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
