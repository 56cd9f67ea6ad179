package dev.hangar.queue.sqlite;

import dev.hangar.core.job.Job;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.queue.QueueListeners;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The subscribed listeners, told of changes in the order they were committed. A listener that
 * throws is logged and skipped: it must not undo a write.
 *
 * <p>Why an order needs care: listeners are called outside the database lock, so two writers that
 * commit one after the other could otherwise tell them in the other order (a lease's SCHEDULED
 * before the submit's QUEUED, when an agent woken by the QUEUED leases at once). So each commit
 * queues its notices while it still holds the lock, and one writer at a time tells the listeners
 * of everything queued, in that order; a writer that finds another one telling them leaves its
 * notices to that one and returns. Nothing ever waits, so a listener may even write to the queue:
 * it hears of its own write once it has returned.
 */
final class ListenerRegistry {

    private final QueueListeners listeners = new QueueListeners();
    private final Queue<Notices> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean publishing = new AtomicBoolean();

    AutoCloseable add(QueueListener listener) {
        return listeners.add(listener);
    }

    /** Queues what a transaction changed. Call it once the transaction committed, still under the lock. */
    void committed(Notices notices) {
        if (!listeners.isEmpty() && !notices.isEmpty()) {
            pending.add(notices);
        }
    }

    /**
     * Tells every listener of what was committed so far, in commit order, unless another thread is
     * doing so already (it then tells them of these too). Call it outside the database lock.
     */
    void publish() {
        // why the loop: notices queued just after a publisher finished draining, but before it let go,
        // would otherwise wait for the next write
        while (!pending.isEmpty() && publishing.compareAndSet(false, true)) {
            try {
                for (Notices notices; (notices = pending.poll()) != null; ) {
                    tell(notices);
                }
            } finally {
                publishing.set(false);
            }
        }
    }

    private void tell(Notices notices) {
        for (Job job : notices.jobs) {
            listeners.jobChanged(job);
        }
        for (String jobId : notices.logs) {
            listeners.logAppended(jobId);
        }
    }


    /** What one transaction changed, collected while it runs and published once it committed. */
    static final class Notices {
        private final List<Job> jobs = new ArrayList<>();
        private final List<String> logs = new ArrayList<>();

        void jobChanged(Job job) {
            jobs.add(job);
        }

        void logAppended(String jobId) {
            logs.add(jobId);
        }

        boolean isEmpty() {
            return jobs.isEmpty() && logs.isEmpty();
        }
    }
}
