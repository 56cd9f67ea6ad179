package dev.hangar.queue.redis;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Reads a Redis Cluster's layout anew when asked, in the background, one reading at a time and at
 * most once per period however many callers ask: while the master of the queue's slot is out of
 * reach, each refused call asks, so that a replica promoted in its place is found within the period.
 */
final class LayoutRereads {
    private static final System.Logger LOG = System.getLogger(LayoutRereads.class.getName());

    private final Supplier<? extends CompletionStage<?>> read;
    private final long everyNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong lastAt;
    private final AtomicBoolean reading = new AtomicBoolean();

    /** {@code read} starts a reading of the layout (the client's refreshPartitionsAsync). */
    LayoutRereads(Supplier<? extends CompletionStage<?>> read, Duration every, LongSupplier nanoTime) {
        this.read = read;
        this.everyNanos = every.toNanos();
        this.nanoTime = nanoTime;
        this.lastAt = new AtomicLong(nanoTime.getAsLong() - everyNanos);
    }

    /**
     * Starts a reading unless one is under way or began less than a period ago; returns whether it did.
     * Never throws: the caller is failing a call for another reason, which it goes on to tell.
     */
    boolean ask() {
        long now = nanoTime.getAsLong();
        long last = lastAt.get();
        if (now - last < everyNanos || !reading.compareAndSet(false, true)) {
            return false;
        }
        if (!lastAt.compareAndSet(last, now)) { // another began one this period, and it has ended already
            reading.set(false);
            return false;
        }
        CompletionStage<?> started;
        try {
            started = read.get();
        } catch (RuntimeException e) { // the client shutting down, say
            reading.set(false);
            LOG.log(System.Logger.Level.DEBUG, "reading the Redis Cluster's layout could not start", e);
            return false;
        }
        started.whenComplete((done, failure) -> {
            reading.set(false);
            if (failure != null) {
                // a node of the layout may be away too: the next refused call asks again
                LOG.log(System.Logger.Level.DEBUG, "reading the Redis Cluster's layout failed", failure);
            }
        });
        return true;
    }
}
