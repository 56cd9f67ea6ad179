package dev.hangar.server.metrics;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.JobStore;
import dev.hangar.core.queue.QueueException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The job counts by state and the oldest QUEUED job, read from the store at most once per scrape
 * and never more often than 20× the time the last read took: at 10,000 jobs the two queries take a
 * few milliseconds, so every scrape is fresh; on a store that has grown slow, scrapes cost it at
 * most ~5% of its time (and the figures are at most 5 seconds old).
 */
final class JobCounts {
    private static final System.Logger LOG = System.getLogger(JobCounts.class.getName());
    private static final Duration MAX_AGE = Duration.ofSeconds(5);

    private final JobStore store;
    private final Clock clock;
    private volatile Map<JobState, Long> counts;
    private volatile Instant oldestQueuedAt;
    /** Whether the last read of the store worked: when not, the counts are as last read. */
    private volatile boolean storeUp = true;
    private long refreshedNanos;
    private long costNanos;
    private boolean read;

    JobCounts(JobStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
        var zero = new EnumMap<JobState, Long>(JobState.class);
        for (JobState state : JobState.values()) {
            zero.put(state, 0L);
        }
        this.counts = zero;
    }

    /** Reads the store again unless the last read is recent enough (see the class comment). */
    synchronized void refresh() {
        long now = System.nanoTime();
        if (read && now - refreshedNanos < Math.min(costNanos * 20, MAX_AGE.toNanos())) {
            return;
        }
        try {
            Map<JobState, Long> fresh = new EnumMap<>(counts);
            fresh.putAll(store.countByState());
            Optional<Job> oldest = fresh.getOrDefault(JobState.QUEUED, 0L) == 0
                    ? Optional.empty() : store.oldest(JobState.QUEUED);
            counts = fresh;
            oldestQueuedAt = oldest.map(job -> job.timings().submittedAt()).orElse(null);
            storeUp = true;
        } catch (RuntimeException e) {
            storeUp = false;
            QueueException.warn(LOG, "reading the job counts for /metrics failed", e);
        }
        refreshedNanos = System.nanoTime();
        costNanos = refreshedNanos - now;
        read = true;
    }

    double storeUp() {
        return storeUp ? 1 : 0;
    }

    long count(JobState state) {
        return counts.getOrDefault(state, 0L);
    }

    /** How long the oldest QUEUED job has waited since it was submitted; 0 with none. */
    double oldestQueuedSeconds() {
        Instant since = oldestQueuedAt;
        if (since == null) {
            return 0;
        }
        return Math.max(0, Duration.between(since, clock.instant()).toNanos() / 1e9);
    }

    /** How long the last read of the store took. */
    Duration lastCost() {
        return Duration.ofNanos(costNanos);
    }
}
