package dev.hangar.client;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closes a followed stream that has carried nothing, not even a keep-alive, for longer than
 * {@code idle}: a server gone without a word (a cut network, a suspended host) would otherwise keep
 * its reader waiting for ever. The reader then fails as for a cut stream, and a follow connects again.
 */
final class IdleCutoff implements AutoCloseable {
    private final AtomicLong heardAt = new AtomicLong(System.nanoTime());
    private volatile boolean handling;
    private final Thread watcher;

    IdleCutoff(Closeable stream, Duration idle) {
        long idleNanos = idle.toNanos();
        Duration every = idle.dividedBy(4);
        this.watcher = Thread.ofVirtual().name("hangar-idle-cutoff").start(() -> {
            try {
                while (handling || System.nanoTime() - heardAt.get() < idleNanos) {
                    Thread.sleep(every);
                }
                stream.close();
            } catch (InterruptedException | IOException e) {
                // the stream ended first, or is closed already
            }
        });
    }

    /** Something came: a line, or a keep-alive. */
    void heard() {
        heardAt.set(System.nanoTime());
    }

    /**
     * Runs what the reader does with what came. Why its time is no silence: a reader whose own output is
     * read slowly (a pager the user is on) would have the stream cut under it.
     */
    void whileHandling(Runnable handle) {
        handling = true;
        try {
            handle.run();
        } finally {
            heard(); // before the flag drops: the watcher must not see an old time without it
            handling = false;
        }
    }

    @Override
    public void close() {
        watcher.interrupt();
    }
}
