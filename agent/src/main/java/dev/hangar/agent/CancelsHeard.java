package dev.hangar.agent;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The jobs a cancel was heard for lately, whether or not they run here: a cancel heard between a lease's answer
 * and its run's start found no run to stop, and the job ran on until a renewal told of it (a sixth of a lease).
 * A run that starts takes its job's entry; the others are forgotten after {@link #KEPT}.
 */
final class CancelsHeard {
    /** Longer than a lease's answer takes to become a run, by far. */
    static final Duration KEPT = Duration.ofMinutes(1);
    /** How many entries are kept at least before the old are looked for: cancels of jobs that never ran here. */
    private static final int LOOK_ABOVE = 1024;

    private final Map<String, Long> heardAt = new ConcurrentHashMap<>();
    private final LongSupplier nanos;
    /** How many entries there may be before the old are looked for: twice what the last look left, at least. */
    private volatile int lookAbove = LOOK_ABOVE;

    CancelsHeard(LongSupplier nanos) {
        this.nanos = nanos;
    }

    void heard(String jobId) {
        long now = nanos.getAsLong();
        heardAt.put(jobId, now);
        if (heardAt.size() > lookAbove) {
            // why the bound doubles: a burst of cancels within a minute, all kept, would be looked through at each
            heardAt.values().removeIf(at -> now - at > KEPT.toNanos());
            lookAbove = Math.max(LOOK_ABOVE, 2 * heardAt.size());
        }
    }

    /** Whether a cancel of this job was heard within {@link #KEPT}; its entry is taken either way. */
    boolean take(String jobId) {
        Long at = heardAt.remove(jobId);
        return at != null && nanos.getAsLong() - at <= KEPT.toNanos();
    }

    int size() {
        return heardAt.size();
    }
}
