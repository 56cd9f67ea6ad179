package dev.hangar.core.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class MonotonicTimeTest {
    @Test
    void theSystemClockInAnyZoneIsMeasuredOnTheMonotonicClock() {
        for (Clock system : new Clock[] {Clock.systemUTC(), Clock.systemDefaultZone(), Clock.system(ZoneId.of("Asia/Tokyo"))}) {
            long before = System.nanoTime();
            long measured = MonotonicTime.of(system).getAsLong();
            assertThat(measured - before).as("%s", system).isBetween(0L, 1_000_000_000L);
        }
    }

    @Test
    void anyOtherClockIsMeasuredOnItsOwnTime() {
        Clock fixed = Clock.fixed(Instant.parse("2026-01-01T00:00:01.5Z"), ZoneOffset.UTC);

        assertThat(MonotonicTime.of(fixed).getAsLong()).isEqualTo(Instant.parse("2026-01-01T00:00:01.5Z").getEpochSecond()
                * 1_000_000_000L + 500_000_000L);
    }
}
