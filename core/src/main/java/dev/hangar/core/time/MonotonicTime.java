package dev.hangar.core.time;

import java.time.Clock;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * The time that intervals are measured on where a stepped wall clock (NTP after a boot, an operator, a host that
 * slept) must neither stretch nor cut them: backoffs, expiries, leases held in-process.
 */
public final class MonotonicTime {
    private static final Class<? extends Clock> SYSTEM = Clock.systemUTC().getClass();

    private MonotonicTime() {
    }

    /**
     * Nanoseconds on a clock that never steps: {@link System#nanoTime} for the system's clock (in any zone); for any
     * other clock (a test's, which moves only as told) its own time, so that the test steers intervals as it steers
     * the rest.
     */
    public static LongSupplier of(Clock clock) {
        if (clock.getClass() == SYSTEM) {
            return System::nanoTime;
        }
        return () -> {
            Instant now = clock.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    }
}
