package dev.hangar.server;

import dev.hangar.core.queue.JobQueue;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The server's share of queue upkeep in a cluster: hands out again the jobs of agents that stopped
 * renewing their leases, even while no agent is alive to do it (agents do the same; it is safe to
 * race, the queue reclaims each lease once).
 */
public final class QueueUpkeep implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(QueueUpkeep.class.getName());

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("queue-upkeep").factory());

    public QueueUpkeep(JobQueue queue, Duration every) {
        timer.scheduleWithFixedDelay(() -> {
            try {
                int moved = queue.requeueExpired();
                if (moved > 0) {
                    LOG.log(System.Logger.Level.INFO, "handed out again {0} job(s) whose agent stopped renewing", moved);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "queue upkeep failed; trying again: " + e.getMessage());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
