package dev.hangar.queue.sqlite;

import dev.hangar.core.time.MonotonicTime;
import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How far the wall clock ran ahead of the monotonic one between two looks: a host that slept (a laptop's lid, a
 * paused VM), whose monotonic clock stood still meanwhile as its jobs did, or an NTP step forward. Leases are kept
 * in wall time (they outlive the process), so without this every lease would lapse at once after such a jump, and
 * every job be stopped and run again.
 */
final class WallClockJumps {
    /** Less is the drift of two clocks between looks a second apart, and the time a look may wait for the store. */
    static final Duration NOTICED_FROM = Duration.ofSeconds(5);

    private final Clock wall;
    private final LongSupplier nanos;
    private long lastWallMillis;
    private long lastNanos;
    private boolean looked;

    WallClockJumps(Clock wall) {
        this(wall, MonotonicTime.of(wall));
    }

    WallClockJumps(Clock wall, LongSupplier nanos) {
        this.wall = wall;
        this.nanos = nanos;
    }

    /** Milliseconds the wall clock jumped ahead since the last look (0 if less than {@link #NOTICED_FROM}, or the first). */
    synchronized long sinceLastLook() {
        long wallMillis = wall.millis();
        long monoNanos = nanos.getAsLong();
        long jump = looked ? (wallMillis - lastWallMillis) - (monoNanos - lastNanos) / 1_000_000 : 0;
        looked = true;
        lastWallMillis = wallMillis;
        lastNanos = monoNanos;
        return jump >= NOTICED_FROM.toMillis() ? jump : 0;
    }
}
