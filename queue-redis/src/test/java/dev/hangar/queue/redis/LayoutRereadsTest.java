package dev.hangar.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LayoutRereadsTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<CompletableFuture<Void>> readings = new ArrayList<>();
    private final LayoutRereads rereads = new LayoutRereads(() -> {
        CompletableFuture<Void> reading = new CompletableFuture<>();
        readings.add(reading);
        return reading;
    }, Duration.ofSeconds(1), now::get);

    @Test
    void theFirstAskReadsAtOnce() {
        assertThat(rereads.ask()).isTrue();
        assertThat(readings).hasSize(1);
    }

    @Test
    void asksWithinThePeriodOfAReadingReadNothingMore() {
        rereads.ask();
        readings.getFirst().complete(null);
        now.addAndGet(Duration.ofMillis(999).toNanos());
        assertThat(rereads.ask()).isFalse();
        now.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(rereads.ask()).isTrue();
        assertThat(readings).hasSize(2);
    }

    @Test
    void aReadingUnderWayIsNotStartedAgainHoweverLongItTakes() {
        rereads.ask();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(rereads.ask()).isFalse();
        readings.getFirst().complete(null);
        assertThat(rereads.ask()).isTrue();
        assertThat(readings).hasSize(2);
    }

    @Test
    void aFailedReadingLetsTheNextPeriodsAskReadAgain() {
        rereads.ask();
        readings.getFirst().completeExceptionally(new IllegalStateException("a node refused the connection"));
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(rereads.ask()).isTrue();
    }

    @Test
    void aReadingThatCouldNotStartLeavesNoneUnderWay() {
        AtomicLong calls = new AtomicLong();
        LayoutRereads failing = new LayoutRereads(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("client shut down");
            }
            return CompletableFuture.completedFuture(null);
        }, Duration.ofSeconds(1), now::get);
        assertThat(failing.ask()).as("told, not thrown: the refused call says why it failed").isFalse();
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(failing.ask()).isTrue();
    }
}
