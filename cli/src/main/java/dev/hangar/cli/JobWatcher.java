package dev.hangar.cli;

import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.OutputNotice;
import dev.hangar.core.runtime.OutputSink;
import java.io.PrintStream;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Follows a job to its end: its output to our stdout and stderr as it comes, a progress line while
 * none of its own has come (Hangar's notices aside), and the job's exit code as ours.
 */
final class JobWatcher {
    static final int EXIT_TIMED_OUT = 124;
    static final int EXIT_CANCELLED = 130;
    /** How long a follow waits for a server that went away (a restart, its queue failing over) before it gives up. */
    static final Duration RECONNECT_FOR = Duration.ofSeconds(60);

    private final HangarClient client;
    private final PrintStream out;
    private final PrintStream err;

    JobWatcher(HangarClient client, PrintStream out, PrintStream err) {
        this.client = client;
        this.out = out;
        this.err = err;
    }

    /**
     * Streams the job's output until it is final, across a restart of the server; returns it as it
     * ended. Throws {@link OutputClosed} once nothing reads our output any more.
     */
    Job follow(String jobId) {
        long began = System.nanoTime();
        Supplier<String> status = () -> "job " + jobId + " " + client.status(jobId).describe();
        var progress = new Progress[] {new Progress(err, status, began)};
        var runs = new RunMarks();
        var ownOutput = new boolean[1];
        try {
            return FollowLost.unlessLost(jobId, () -> client.follow(jobId, 0, RECONNECT_FOR, chunk -> {
                if (progress[0] != null) {
                    progress[0].close();
                    progress[0] = null;
                }
                runs.before(chunk, err);
                OutputClosed.write(chunk.stream() == OutputSink.Stream.STDERR ? err : out, chunk.data());
                // why on after Hangar's notice (its image being made, say): the wait it tells of goes on, and a
                // silent minute would look stuck; once the job's own output comes, its output tells how it goes
                ownOutput[0] |= !(chunk.stream() == OutputSink.Stream.STDERR && OutputNotice.is(chunk.data()));
                if (!ownOutput[0]) {
                    progress[0] = new Progress(err, status, began);
                }
            }));
        } finally {
            if (progress[0] != null) {
                progress[0].close();
            }
        }
    }

    /** The exit code a shell should see for this final job. */
    int exitCode(Job job) {
        return switch (job.state()) {
            case SUCCEEDED -> 0;
            case FAILED, DEAD -> { // DEAD: failed on its last attempt, whose code it keeps, or timed out on it
                report(job);
                yield dev.hangar.core.queue.AttemptVerdict.gaveUpTimingOut(job) ? EXIT_TIMED_OUT
                        : job.exitCode() != null && job.exitCode() != 0 ? job.exitCode() : 1;
            }
            case TIMED_OUT -> {
                report(job);
                yield EXIT_TIMED_OUT;
            }
            case CANCELLED -> {
                report(job);
                yield EXIT_CANCELLED;
            }
            default -> {
                report(job);
                yield 1;
            }
        };
    }

    private void report(Job job) {
        err.println("hangar: job " + job.id() + " " + job.state() + (job.error() == null ? "" : ": " + job.error()));
        err.flush();
    }
}
