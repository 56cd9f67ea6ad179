package dev.hangar.server;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.RepeatedWarning;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The server's share of queue upkeep in a cluster: hands out again the jobs of agents that stopped
 * renewing their leases, even while no agent is alive to do it (agents do the same; it is safe to
 * race, the queue reclaims each lease once), and the backend's housekeeping: taking in what
 * producers wrote straight into the store, checked as a submit to the server is, and retention.
 */
public final class QueueUpkeep implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(QueueUpkeep.class.getName());

    private final QueueBackend queue;
    private final RepeatedWarning upkeep = new RepeatedWarning(LOG, "queue upkeep");
    private final UnaryOperator<JobSpec> validate;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("queue-upkeep").factory());

    /** {@code validate}: the check a submit to the server gets, e.g. that one node of the cluster could run the job. */
    public QueueUpkeep(QueueBackend queue, UnaryOperator<JobSpec> validate) {
        this.queue = queue;
        this.validate = validate;
    }

    public QueueUpkeep start(Duration every) {
        timer.scheduleWithFixedDelay(this::runQuietly, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One pass; returns how many jobs and items it moved. */
    public int run() {
        int moved;
        try {
            moved = queue.requeueExpired();
        } catch (RuntimeException e) {
            // why go on: the housekeeping (intake, retention) must not wait on a step that keeps failing
            try {
                queue.housekeeping(validate);
            } catch (RuntimeException also) {
                e.addSuppressed(also);
            }
            throw e;
        }
        if (moved > 0) {
            LOG.log(System.Logger.Level.INFO, "handed out again {0} job(s) whose agent stopped renewing", moved);
        }
        return moved + queue.housekeeping(validate);
    }

    private void runQuietly() {
        try {
            run();
            upkeep.succeeded();
        } catch (RuntimeException | Error e) { // an Error too: a scheduled task that throws is never run again
            upkeep.failed("; trying again", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
