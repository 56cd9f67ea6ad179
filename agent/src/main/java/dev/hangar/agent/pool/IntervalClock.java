package dev.hangar.agent.pool;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The clock the pools measure their intervals on (backoffs, idle expiry, a sandbox dying young): it follows
 * {@link System#nanoTime} from the wall time it was made at, so a wall clock stepped back an hour (NTP, an
 * operator) neither stalls a pool's refill for that hour nor, stepped forward, expires every idle sandbox at once.
 * Its instants are for intervals only: the times a job records come from the wall clock.
 */
final class IntervalClock extends Clock {
    private final Instant origin = Instant.now();
    private final long originNanos = System.nanoTime();

    /** The system's clock measured monotonically; any other clock (a test's, which moves only as told) as it is. */
    static Clock of(Clock wall) {
        return wall.equals(Clock.systemUTC()) ? new IntervalClock() : wall;
    }

    @Override
    public Instant instant() {
        return origin.plusNanos(System.nanoTime() - originNanos);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
