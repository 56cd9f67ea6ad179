package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.OutputNotice;
import dev.hangar.core.job.Timings;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.runtime.OutputSink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Following a job against a stand-in server: what is printed while it waits, and of its output. */
class JobWatcherTest {
    /** How long the stand-in's job stays STARTING after its notice: long enough for a progress line. */
    private static final long STARTING_NANOS = 2_500_000_000L;

    @Test
    void aWaitHangarsNoticeTellsOfIsStillToldUntilTheJobsOwnOutputComes() throws Exception {
        long began = System.nanoTime();
        var logsAsked = new AtomicInteger();
        var outputSent = new AtomicInteger();
        String notice = OutputNotice.of("the image debian is not made yet on node n1: making it before the job starts");
        try (var api = new StandInApi("/v1/jobs", (method, path) -> {
            boolean started = System.nanoTime() - began > STARTING_NANOS;
            if (path.endsWith("/logs")) {
                if (logsAsked.getAndIncrement() == 0) {
                    return new StandInApi.Answer(200, chunk(1, OutputSink.Stream.STDERR, notice));
                }
                return new StandInApi.Answer(200, started && outputSent.getAndIncrement() == 0
                        ? chunk(2, OutputSink.Stream.STDOUT, "hi\n") : "");
            }
            return new StandInApi.Answer(200, Json.write(job(started && outputSent.get() > 0
                    ? JobState.SUCCEEDED : JobState.STARTING)));
        })) {
            var out = new ByteArrayOutputStream();
            var err = new ByteArrayOutputStream();
            var watcher = new JobWatcher(new HangarClient(URI.create(api.url())),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

            Job done = watcher.follow("j-1");

            assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hi\n");
            assertThat(err.toString(StandardCharsets.UTF_8)).as("the notice, then the wait it tells of")
                    .startsWith(notice + "hangar: job j-1 STARTING (");
        }
    }

    private static String chunk(long seq, OutputSink.Stream stream, String text) {
        return Json.write(new LogChunk(seq, 1, 1, stream, text.getBytes(StandardCharsets.UTF_8))) + "\n";
    }

    @Test
    void aJobThatGaveUpAfterItsLastAttemptTimedOutExitsAsATimeout() {
        var watcher = new JobWatcher(new HangarClient(URI.create("http://127.0.0.1:9")),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        Job timedOut = dead("gave up after 2 attempts; last: timed out after 1 s (timeoutSeconds)", null);
        Job failed = dead("gave up after 2 attempts; last: exited with code 3", 3);

        // it exited 1, the README's 124 for a timeout kept only for a job that had no retries
        assertThat(watcher.exitCode(timedOut)).isEqualTo(124);
        assertThat(watcher.exitCode(failed)).isEqualTo(3);
    }

    private static Job dead(String error, Integer exitCode) {
        Job job = job(JobState.DEAD);
        return new Job(job.id(), job.spec(), JobState.DEAD, 2, 2, job.timings(), job.node(), job.runtime(), null, exitCode,
                error, false, false);
    }

    private static Job job(JobState state) {
        Instant at = Instant.parse("2026-12-05T00:00:00Z");
        return new Job("j-1", JobSpec.builder().command("echo", "hi").build(), state, 1, 1,
                new Timings(at, at, at, null, state.isFinal() ? at : null), "n1", "process", null,
                state.isFinal() ? 0 : null, null, false, false);
    }
}
