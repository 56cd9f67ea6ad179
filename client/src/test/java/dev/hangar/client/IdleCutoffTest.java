package dev.hangar.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A stream silent past its idle time is closed; the reader's own time with what came is no silence. */
class IdleCutoffTest {
    private final CountDownLatch closed = new CountDownLatch(1);

    @Test
    void aSilentStreamIsClosed() {
        try (var cutoff = new IdleCutoff(closed::countDown, Duration.ofMillis(100))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> closed.getCount() == 0);
        }
    }

    @Test
    void aStreamIsNotClosedWhileItsReaderHandlesWhatCameHoweverLong() throws Exception {
        try (var cutoff = new IdleCutoff(closed::countDown, Duration.ofMillis(100))) {
            cutoff.whileHandling(() -> {
                try {
                    // a pager the user is on: ten idle times
                    assertThat(closed.await(1, TimeUnit.SECONDS)).as("closed under a busy reader").isFalse();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            // silent from here on: closed, as any stream is
            await().atMost(Duration.ofSeconds(10)).until(() -> closed.getCount() == 0);
        }
    }
}
