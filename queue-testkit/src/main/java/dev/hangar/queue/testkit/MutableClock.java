package dev.hangar.queue.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until a test moves it, so that lease expiry and retry backoff can be
 * tested without sleeping. Thread-safe; clocks made by {@link #withZone} share the same time.
 */
public final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    private MutableClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    public static MutableClock at(Instant start) {
        return new MutableClock(new AtomicReference<>(start), ZoneOffset.UTC);
    }

    public static MutableClock at(String isoInstant) {
        return at(Instant.parse(isoInstant));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    /** Moves the clock forward (or back, for a negative amount) and returns the new time. */
    public Instant advance(Duration amount) {
        return now.updateAndGet(t -> t.plus(amount));
    }

    public Instant advanceMillis(long millis) {
        return advance(Duration.ofMillis(millis));
    }

    public void set(Instant instant) {
        now.set(instant);
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new MutableClock(now, zone);
    }

    @Override
    public String toString() {
        return "MutableClock[" + now.get() + "]";
    }
}
