package dev.hangar.agent.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.agent.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IntervalClockTest {
    private final FakeClock wall = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final AtomicLong monotonic = new AtomicLong(123_456_789L);

    @Test
    void itStartsAtTheWallTimeAndFollowsTheMonotonicClockNotTheWallClockSteps() {
        var ticks = new IntervalClock(wall, monotonic::get);

        wall.advance(Duration.ofHours(-1)); // NTP steps the wall clock back
        monotonic.addAndGet(Duration.ofSeconds(30).toNanos());

        assertThat(ticks.now()).isEqualTo(Instant.parse("2026-01-01T00:00:30Z"));
    }

    @Test
    void onATestsClockItMovesOnlyAsTheTestSays() {
        var ticks = new IntervalClock(wall);

        wall.advance(Duration.ofMinutes(5));

        assertThat(ticks.now()).isEqualTo(wall.instant());
    }
}
