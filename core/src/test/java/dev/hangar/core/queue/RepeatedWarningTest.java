package dev.hangar.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RepeatedWarningTest {
    private final KeptLog log = new KeptLog();
    private final long[] now = {0};
    private final RepeatedWarning warning = new RepeatedWarning(log, "requeueing expired leases", () -> now[0]);
    private final QueueException away = new QueueException("Redis out of reach for 6.0 s", null);

    private void failEachSecondFor(int seconds) {
        for (int i = 0; i < seconds; i++) {
            warning.failed("; trying again next time", away);
            now[0] += Duration.ofSeconds(1).toNanos();
        }
    }

    @Test
    void aTaskFailingEachSecondIsWarnedOfAtOnceThenEveryHalfMinuteWithHowManyMoreAndOnceWhenItWorksAgain() {
        warning.succeeded();
        failEachSecondFor(61);
        warning.succeeded();
        warning.succeeded();

        // each failure used to be a line of its own: 61 here
        assertThat(log.lines).containsExactly(
                "requeueing expired leases failed; trying again next time: Redis out of reach for 6.0 s",
                "requeueing expired leases failed; trying again next time (and 29 time(s) more in the last 30 s):"
                        + " Redis out of reach for 6.0 s",
                "requeueing expired leases failed; trying again next time (and 29 time(s) more in the last 30 s):"
                        + " Redis out of reach for 6.0 s",
                "requeueing expired leases works again");
    }

    @Test
    void theFirstFailureAfterItWorkedAgainIsWarnedOfAtOnceAndABugKeepsItsTrace() {
        failEachSecondFor(3);
        warning.succeeded();
        warning.failed("", new IllegalStateException("a bug"));

        assertThat(log.lines).containsExactly(
                "requeueing expired leases failed; trying again next time: Redis out of reach for 6.0 s",
                "requeueing expired leases works again (it failed 2 time(s) more since the last warning)",
                "requeueing expired leases failed +trace");
    }

    @Test
    void aTaskThatFailsEveryOtherTimeIsWarnedOfOnceAHalfMinuteAndAnotherKindOfFailureAtOnce() {
        for (int i = 0; i < 31; i++) {
            warning.failed("", away);
            warning.succeeded();
            now[0] += Duration.ofSeconds(1).toNanos();
        }
        warning.failed("", new IllegalStateException("a bug"));

        // each failure and each recovery used to be a line: 62 here
        assertThat(log.lines).containsExactly(
                "requeueing expired leases failed: Redis out of reach for 6.0 s",
                "requeueing expired leases works again",
                "requeueing expired leases failed (and 29 time(s) more in the last 30 s): Redis out of reach for 6.0 s",
                "requeueing expired leases works again",
                "requeueing expired leases failed +trace");
    }
}
