package dev.hangar.core.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JobStateTest {
    @Test
    void finalStatesGoNowhere() {
        for (JobState state : JobState.finals()) {
            assertThat(state.isFinal()).isTrue();
            assertThat(state.next()).isEmpty();
        }
    }

    @Test
    void aQueuedJobCannotSkipToAResult() {
        assertThat(JobState.QUEUED.canMoveTo(JobState.SUCCEEDED)).isFalse();
        assertThat(JobState.QUEUED.canMoveTo(JobState.SCHEDULED)).isTrue();
        assertThat(JobState.RUNNING.canMoveTo(JobState.QUEUED)).isTrue();
    }

    @Test
    void backoffDoublesAndIsCapped() {
        var retry = new RetryPolicy(10, 1.0, 5.0);
        assertThat(retry.backoffAfter(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(retry.backoffAfter(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(retry.backoffAfter(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(retry.backoffAfter(4)).isEqualTo(Duration.ofSeconds(5));
    }
}
