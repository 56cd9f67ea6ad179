package dev.hangar.server;

import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.queue.QueueBackend;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server's share of queue upkeep in a cluster: hands out again the jobs of agents that stopped
 * renewing their leases, even while no agent is alive to do it (agents do the same; it is safe to
 * race, the queue reclaims each lease once), and the backend's housekeeping: taking in what
 * producers wrote straight into the store, checked against the cluster's limits, and retention.
 */
public final class QueueUpkeep implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(QueueUpkeep.class.getName());

    private final QueueBackend queue;
    private final Supplier<SpecLimits> limits;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("queue-upkeep").factory());

    public QueueUpkeep(QueueBackend queue, Supplier<SpecLimits> limits) {
        this.queue = queue;
        this.limits = limits;
    }

    public QueueUpkeep start(Duration every) {
        timer.scheduleWithFixedDelay(this::runQuietly, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One pass; returns how many jobs and items it moved. */
    public int run() {
        int moved = queue.requeueExpired();
        if (moved > 0) {
            LOG.log(System.Logger.Level.INFO, "handed out again {0} job(s) whose agent stopped renewing", moved);
        }
        return moved + queue.housekeeping(limits.get());
    }

    private void runQuietly() {
        try {
            run();
        } catch (RuntimeException | Error e) { // an Error too: a scheduled task that throws is never run again
            LOG.log(System.Logger.Level.WARNING, "queue upkeep failed; trying again: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
