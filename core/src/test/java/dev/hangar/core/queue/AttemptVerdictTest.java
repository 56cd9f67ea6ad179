package dev.hangar.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.RetryPolicy;
import dev.hangar.core.job.Timings;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AttemptVerdictTest {
    private static final Instant NOW = Instant.parse("2026-12-06T00:00:00Z");

    @Test
    void jobsThatFailTogetherAreNotAllDueAgainInTheSameInstant() {
        Job job = running(new RetryPolicy(3, 10.0, null));
        Set<Instant> due = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            AttemptVerdict verdict = AttemptVerdict.afterOutcome(job, Outcome.failed(1, "exit code 1", false), NOW);
            assertThat(verdict.state()).isEqualTo(JobState.QUEUED);
            assertThat(verdict.notBefore()).as("never before the backoff asked for, nor a tenth past it")
                    .isBetween(NOW.plusSeconds(10), NOW.plusSeconds(11));
            due.add(verdict.notBefore());
        }
        // a fixed backoff brought every job that failed in one outage back in one instant
        assertThat(due).as("200 draws over a second's span").hasSizeGreaterThan(100);
    }

    private static Job running(RetryPolicy retry) {
        return new Job("j-1", JobSpec.builder().command("false").retry(retry).build(), JobState.RUNNING, 1, 1,
                new Timings(NOW, NOW, NOW, null, NOW, null, null, null, null), "n1", "process", null, null, null,
                false, false);
    }
}
