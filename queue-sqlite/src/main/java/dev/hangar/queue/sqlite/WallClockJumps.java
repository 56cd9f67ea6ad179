package dev.hangar.queue.sqlite;

import dev.hangar.core.time.MonotonicTime;
import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How far the wall clock moved apart from the monotonic one between two looks: a host that slept (a laptop's lid, a
 * paused VM), whose monotonic clock stood still meanwhile as its jobs did, or an NTP step. Leases are kept in wall
 * time (they outlive the process), so without this every lease would lapse at once after a jump ahead, and every
 * job be stopped and run again; a step back would keep a vanished holder's lease for the length of the step.
 */
final class WallClockJumps {
    /** Less is the drift of two clocks between looks a second apart. */
    static final Duration NOTICED_FROM = Duration.ofSeconds(5);

    /**
     * A look: the wall clock's jump since the last look taken (0 if under {@link #NOTICED_FROM} either way, or the
     * first), in milliseconds, ahead if positive.
     */
    record Look(long jumpMillis, long wallMillis, long monoNanos) {}

    private final Clock wall;
    private final LongSupplier nanos;
    private Look taken;

    WallClockJumps(Clock wall) {
        this(wall, MonotonicTime.of(wall));
    }

    WallClockJumps(Clock wall, LongSupplier nanos) {
        this.wall = wall;
        this.nanos = nanos;
    }

    /** A look at the clocks, measured from the last one {@link #take taken}: one whose change failed is not. */
    synchronized Look look() {
        long wallMillis = wall.millis();
        long monoNanos = nanos.getAsLong();
        long jump = taken == null ? 0 : (wallMillis - taken.wallMillis()) - (monoNanos - taken.monoNanos()) / 1_000_000;
        return new Look(Math.abs(jump) >= NOTICED_FROM.toMillis() ? jump : 0, wallMillis, monoNanos);
    }

    /** The look whose jump the leases were moved by: the next is measured from it. */
    synchronized void take(Look look) {
        if (taken == null || look.monoNanos() - taken.monoNanos() >= 0) { // not an older look, taken late
            taken = look;
        }
    }
}
