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
        assertThat(retry.backoffAfter(1, 0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(retry.backoffAfter(2, 0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(retry.backoffAfter(3, 0)).isEqualTo(Duration.ofSeconds(4));
        assertThat(retry.backoffAfter(4, 0)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aBackoffIsDrawnUpToATenthLongerNeverShorterNorPastADay() {
        var retry = new RetryPolicy(10, 1.0, 5.0);
        assertThat(retry.backoffAfter(1, 0.5)).isEqualTo(Duration.ofMillis(1050));
        assertThat(retry.backoffAfter(4, 0.999)).as("past its cap by a tenth at most").isEqualTo(Duration.ofMillis(5499));
        var aDay = new RetryPolicy(3, RetryPolicy.MOST_SECONDS, null);
        assertThat(aDay.backoffAfter(1, 0.999)).as("no longer than a day").isEqualTo(Duration.ofDays(1));
    }
}
