package dev.hangar.queue.sqlite;

import dev.hangar.core.job.Job;
import dev.hangar.core.queue.QueueListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** The subscribed listeners. A listener that throws is logged and skipped: it must not undo a write. */
final class ListenerRegistry {
    private static final System.Logger LOG = System.getLogger(ListenerRegistry.class.getName());

    private final List<QueueListener> listeners = new CopyOnWriteArrayList<>();

    AutoCloseable add(QueueListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Tells every listener what a committed transaction changed. Call it outside the database lock. */
    void publish(Notices notices) {
        if (listeners.isEmpty()) {
            return;
        }
        for (Job job : notices.jobs) {
            each(listener -> listener.jobChanged(job));
        }
        for (String jobId : notices.logs) {
            each(listener -> listener.logAppended(jobId));
        }
    }

    private void each(Consumer<QueueListener> call) {
        for (QueueListener listener : listeners) {
            try {
                call.accept(listener);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "queue listener " + listener + " failed", e);
            }
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
    }
}
