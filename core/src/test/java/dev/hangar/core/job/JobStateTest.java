package dev.hangar.core.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JobStateTest {
    @Test
    void finalStatesGoNowhereAndTheOthersSomewhere() {
        assertThat(JobState.finals()).containsExactlyInAnyOrder(JobState.SUCCEEDED, JobState.FAILED, JobState.TIMED_OUT,
                JobState.CANCELLED, JobState.DEAD);
        for (JobState state : JobState.values()) {
            assertThat(state.isFinal()).as("%s", state).isEqualTo(JobState.finals().contains(state));
            assertThat(state.next().isEmpty()).as("%s goes nowhere", state).isEqualTo(state.isFinal());
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
