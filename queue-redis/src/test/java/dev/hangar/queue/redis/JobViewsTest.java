package dev.hangar.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.json.Json;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The views the change feed holds, in every listening process: bounded by count and by size. */
class JobViewsTest {
    /** As enqueue.lua's change entry for a new job: its whole view. */
    private static Map<String, String> submitted(String id, JobSpec spec) {
        var change = new HashMap<String, String>();
        change.putAll(Map.of("full", "1", "id", id, "spec", Json.write(spec), "state", "QUEUED", "attempt", "0",
                "deliveries", "0", "cancel", "0", "truncated", "0", "submittedAt", "1764700000000"));
        return change;
    }

    @Test
    void viewsOfJobsWithLargeSpecsAreBoundedBySizeAndTheNewestKept() {
        var views = new JobViews(null, null); // full changes only: nothing is read from Redis
        JobSpec large = JobSpec.builder().command("cat").stdin("x".repeat(64 * 1024)).build();
        for (int i = 0; i < 1000; i++) { // 64 MiB of stdin in all
            Job job = views.apply("j" + i, submitted("j" + i, large));
            assertThat(job.state()).isEqualTo(JobState.QUEUED);
        }
        assertThat(views.chars()).isPositive().isLessThanOrEqualTo(JobViews.MOST_CHARS);
        assertThat(views.size()).as("views held").isBetween(1, (int) (JobViews.MOST_CHARS / (64 * 1024)));

        // the newest is kept: its next change needs no read (there is no Redis here to read from)
        Job running = views.apply("j999", new HashMap<>(Map.of("state", "RUNNING")));
        assertThat(running.spec().stdin()).hasSize(64 * 1024);
        assertThat(views.apply("j999", new HashMap<>(Map.of("state", "SUCCEEDED"))).state()).isEqualTo(JobState.SUCCEEDED);
        long afterFinal = views.chars();
        assertThat(views.size()).as("a final job's view is dropped").isLessThan(1000);
        assertThat(afterFinal).isLessThan(JobViews.MOST_CHARS);
    }

    @Test
    void viewsAreBoundedByCount() {
        var views = new JobViews(null, null);
        JobSpec small = JobSpec.of("true");
        for (int i = 0; i < JobViews.MOST + 50; i++) {
            views.apply("j" + i, submitted("j" + i, small));
        }
        assertThat(views.size()).isEqualTo(JobViews.MOST);
        views.forgetAll();
        assertThat(views.size()).isZero();
        assertThat(views.chars()).isZero();
    }
}
