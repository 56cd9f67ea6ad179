package dev.hangar.agent.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.agent.FakeClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class IntervalClockTest {
    @Test
    void onTheSystemClockItFollowsTheMonotonicClockFromTheWallTimeItStartedAt() throws Exception {
        IntervalClock ticks = new IntervalClock(Clock.systemUTC());

        assertThat(Duration.between(Instant.now(), ticks.now()).abs()).isLessThan(Duration.ofSeconds(1));
        Instant before = ticks.now();
        long nanos = System.nanoTime();
        Thread.sleep(20);
        Duration slept = Duration.ofNanos(System.nanoTime() - nanos);
        assertThat(Duration.between(before, ticks.now())).isBetween(Duration.ofMillis(20), slept.plusMillis(5));
    }

    @Test
    void onATestsClockItMovesOnlyAsTheTestSays() {
        var fake = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        IntervalClock ticks = new IntervalClock(fake);

        fake.advance(Duration.ofMinutes(5));

        assertThat(ticks.now()).isEqualTo(fake.instant());
    }
}
