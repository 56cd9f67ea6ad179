package dev.hangar.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.Job;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.Outcome;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.queue.testkit.MutableClock;
import dev.hangar.queue.testkit.TestJobs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The attempts heard leased, when the queue says some changes went unheard (a Redis failover). */
class AttemptMetricsTest {
    private final MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AttemptMetrics attempts = new AttemptMetrics(registry, job -> HangarMetrics.COLD);
    @TempDir
    Path dir;
    private SqliteQueueBackend queue;

    @BeforeEach
    void open() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), clock);
    }

    @AfterEach
    void close() {
        queue.close();
    }

    @Test
    void missedChangesForgetTheAttemptsHeardLeasedSoThatTheyDoNotPileUp() {
        for (String name : new String[] {"a", "b", "c"}) {
            queue.enqueue(TestJobs.spec(name));
            attempts.jobChanged(queue.lease(TestJobs.worker("w")).orElseThrow().job());
        }
        assertThat(attempts.open()).isEqualTo(3);

        attempts.changesMissed();

        assertThat(attempts.open()).as("each may have ended unheard").isZero();
    }

    @Test
    void anAttemptHeardLeasedBeforeMissedChangesIsCountedAsFinishedButNotRecordedAsAnAttempt() {
        queue.enqueue(TestJobs.spec("before"));
        Lease before = queue.lease(TestJobs.worker("w")).orElseThrow();
        attempts.jobChanged(before.job());
        attempts.changesMissed();
        queue.enqueue(TestJobs.spec("after"));
        Lease after = queue.lease(TestJobs.worker("w")).orElseThrow();
        attempts.jobChanged(after.job());

        clock.advanceMillis(10);
        attempts.jobChanged(finished(before));
        attempts.jobChanged(finished(after));

        assertThat(registry.get("hangar.jobs.finished").tag("state", "SUCCEEDED").counter().count()).isEqualTo(2);
        assertThat(registry.get("hangar.job.queued").tag("runtime", "process").timer().count())
                .as("only the attempt heard leased after the missed changes").isEqualTo(1);
        assertThat(attempts.open()).isZero();
    }

    @Test
    void aWaitThatAnAgentsClockBehindTheServersMakesNegativeIsCountedAsNoWait() {
        queue.enqueue(TestJobs.spec("skewed"));
        clock.set(clock.instant().minusMillis(5)); // the agent's clock, 5 ms behind the server's
        Lease lease = queue.lease(TestJobs.worker("w")).orElseThrow();
        attempts.jobChanged(lease.job());

        attempts.jobChanged(finished(lease));

        for (String metric : new String[] {"hangar.job.queued", "hangar.job.submit.to.running"}) {
            var timer = registry.get(metric).tag("runtime", "process").timer();
            assertThat(timer.count()).as(metric).isEqualTo(1);
            assertThat(timer.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).as(metric).isZero();
        }
    }

    @Test
    void aDeliveryGivenBackThatEndsTheJobIsNoRunButTheJobIsCountedAsFinished() {
        queue.enqueue(TestJobs.spec("given-back"));
        Lease lease = queue.lease(TestJobs.worker("w")).orElseThrow();
        attempts.jobChanged(lease.job());
        queue.starting(lease, "n1", TestJobs.selection("process"));
        queue.running(lease);
        attempts.jobChanged(queue.get(lease.jobId()).orElseThrow());
        queue.cancel(lease.jobId()); // flagged while it runs: its give-back then ends it CANCELLED
        clock.advanceMillis(60_000);

        Job ended = queue.giveBack(lease, "its node stops").orElseThrow();
        attempts.jobChanged(ended);

        assertThat(ended.state()).isEqualTo(dev.hangar.core.job.JobState.CANCELLED);
        assertThat(registry.get("hangar.jobs.finished").tag("state", "CANCELLED").counter().count()).isEqualTo(1);
        // it was recorded as a run of a minute, from its start to the give-back
        assertThat(registry.find("hangar.job.run").timers()).allSatisfy(run -> assertThat(run.count()).isZero());
        assertThat(registry.get("hangar.job.start").tag("runtime", "process").timer().count()).as("its start was one")
                .isEqualTo(1);
    }

    private Job finished(Lease lease) {
        queue.starting(lease, "n1", TestJobs.selection("process"));
        queue.running(lease);
        return queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();
    }
}
