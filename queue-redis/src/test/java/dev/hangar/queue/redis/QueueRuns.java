package dev.hangar.queue.redis;

import static dev.hangar.queue.testkit.TestJobs.selection;
import static dev.hangar.queue.testkit.TestJobs.worker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.queue.JobQueue;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.Outcome;
import java.util.Optional;

/** Runs queued jobs as a worker would, each one succeeding, for tests that check where they end. */
final class QueueRuns {
    private QueueRuns() {}

    /** Leases, starts and finishes one job; false if there was none. */
    static boolean runOne(JobQueue queue, String worker) {
        Optional<Lease> lease = queue.lease(worker(worker));
        if (lease.isEmpty()) {
            return false;
        }
        assertThat(queue.started(lease.get(), worker, selection("process"), null)).isTrue();
        assertThat(queue.finish(lease.get(), Outcome.succeeded(0, false))).isPresent();
        return true;
    }

    /** Runs jobs until none is left; returns how many ran. */
    static int runAll(JobQueue queue, String worker) {
        int ran = 0;
        while (runOne(queue, worker)) {
            ran++;
        }
        return ran;
    }
}
