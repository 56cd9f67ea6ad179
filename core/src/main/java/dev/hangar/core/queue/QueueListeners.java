package dev.hangar.core.queue;

import dev.hangar.core.job.Job;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The listeners a backend tells of its changes. One that throws is logged and skipped: it must not
 * keep the others from hearing, nor fail the write that they hear of.
 */
public final class QueueListeners {
    private static final System.Logger LOG = System.getLogger(QueueListeners.class.getName());

    private final List<QueueListener> listeners = new CopyOnWriteArrayList<>();

    /** Adds a listener; the handle removes it. */
    public AutoCloseable add(QueueListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    public boolean isEmpty() {
        return listeners.isEmpty();
    }

    public void jobChanged(Job job) {
        each(listener -> listener.jobChanged(job));
    }

    public void logAppended(String jobId) {
        each(listener -> listener.logAppended(jobId));
    }

    public void changesMissed(String why) {
        each(listener -> listener.changesMissed(why));
    }

    private void each(Consumer<QueueListener> call) {
        for (QueueListener listener : listeners) {
            try {
                call.accept(listener);
            } catch (RuntimeException | Error e) { // an Error too: a backend's reader thread must not die of it
                LOG.log(System.Logger.Level.WARNING, "queue listener " + listener + " failed", e);
            }
        }
    }
}
