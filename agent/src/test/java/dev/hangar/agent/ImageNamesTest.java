package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ImageNamesTest {
    @Test
    void theStoreIsReadOncePerSecondAndAnImageImportedMeanwhileShowsOnTheNextRead() {
        var reads = new AtomicInteger();
        var now = new AtomicLong();
        var names = new ImageNames(() -> reads.incrementAndGet() == 1 ? Set.of("busybox") : Set.of("busybox", "mine"),
                Duration.ofSeconds(1), now::get);

        assertThat(names.get()).containsExactly("busybox");
        now.addAndGet(Duration.ofMillis(999).toNanos());
        assertThat(names.get()).containsExactly("busybox");
        assertThat(reads).hasValue(1);

        now.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(names.get()).containsExactlyInAnyOrder("busybox", "mine");
        assertThat(reads).hasValue(2);
    }

    @Test
    void aFailedReadKeepsTheNamesLastRead() {
        var reads = new AtomicInteger();
        var now = new AtomicLong();
        var names = new ImageNames(() -> {
            if (reads.incrementAndGet() > 1) {
                throw new java.io.UncheckedIOException(new java.io.IOException("image removed while listed"));
            }
            return Set.of("busybox", "mine");
        }, Duration.ofSeconds(1), now::get);

        assertThat(names.get()).containsExactlyInAnyOrder("busybox", "mine");
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(names.get()).containsExactlyInAnyOrder("busybox", "mine");
        assertThat(reads).hasValue(2);
    }
}
