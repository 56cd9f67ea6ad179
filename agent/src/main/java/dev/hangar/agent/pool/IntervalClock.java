package dev.hangar.agent.pool;

import dev.hangar.core.time.MonotonicTime;
import java.time.Clock;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * The clock the pools measure their intervals on (backoffs, idle expiry, a sandbox dying young): it follows
 * {@link MonotonicTime} from the wall time it was made at, so a wall clock stepped back an hour (NTP, an
 * operator) neither stalls a pool's refill for that hour nor, stepped forward, expires every idle sandbox at once.
 * Its instants are for intervals only: the times a job records come from the wall clock.
 */
final class IntervalClock {
    private final Instant origin;
    private final LongSupplier nanos;
    private final long originNanos;

    IntervalClock(Clock wall) {
        this(wall, MonotonicTime.of(wall));
    }

    IntervalClock(Clock wall, LongSupplier nanos) {
        this.origin = wall.instant();
        this.nanos = nanos;
        this.originNanos = nanos.getAsLong();
    }

    Instant now() {
        return origin.plusNanos(nanos.getAsLong() - originNanos);
    }
}
