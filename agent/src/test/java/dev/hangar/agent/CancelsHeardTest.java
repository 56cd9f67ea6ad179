package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CancelsHeardTest {
    private long now;
    private final CancelsHeard heard = new CancelsHeard(() -> now);

    @Test
    void aCancelHeardBeforeItsRunStartsIsTakenOnceByThatRun() {
        heard.heard("j-1");

        assertThat(heard.take("j-1")).isTrue();
        assertThat(heard.take("j-1")).as("taken").isFalse();
        assertThat(heard.take("j-2")).as("never heard").isFalse();
    }

    @Test
    void aCancelHeardLongAgoIsNoneAndTheOldAreForgottenOnceThereAreMany() {
        heard.heard("old");
        now += CancelsHeard.KEPT.toNanos() + 1;
        assertThat(heard.take("old")).as("a run of a job cancelled a minute ago is a new lease's, the cancel long done")
                .isFalse();

        for (int i = 0; i < 1024; i++) {
            heard.heard("old-" + i);
        }
        now += CancelsHeard.KEPT.toNanos() + 1;
        heard.heard("new");
        assertThat(heard.size()).as("cancels of jobs that never ran here, not kept for ever").isEqualTo(1);
        assertThat(heard.take("new")).isTrue();
    }
}
