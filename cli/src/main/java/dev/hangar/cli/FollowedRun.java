package dev.hangar.cli;

import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.json.Json;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A job submitted and followed to its end, as {@code hangar run} and {@code rerun} do: the command stands for
 * its job, and interrupted, or its output's reader gone, cancels it.
 */
final class FollowedRun {
    /** How long an interrupted run waits for its submit's answer, to cancel the job it made. */
    private static final Duration SUBMIT_ANSWER_BOUND = Duration.ofSeconds(5);
    /**
     * How long an interrupted run waits for its cancel's answer. Why bounded apart: the JVM ignores another Ctrl-C
     * while it waits, and a server slow to answer is often why the user pressed it.
     */
    static final Duration INTERRUPTED_CANCEL_BOUND = Duration.ofSeconds(10);

    private FollowedRun() {
    }

    /** Submits the job and prints its id, or the job as JSON, without following it. */
    static int detached(HangarClient server, JobSpec spec, boolean json) {
        Job submitted = server.submit(spec);
        System.out.println(json ? Json.write(submitted) : submitted.id());
        return 0;
    }

    /**
     * Submits the job and follows it to its end: its output on standard output (standard error with {@code json},
     * whose standard output is then the final job's JSON alone), its exit code returned. {@code onSubmitted} is told
     * the job once the submit has answered.
     */
    static int of(HangarClient server, JobSpec spec, boolean json, Consumer<Job> onSubmitted) {
        // why: this command stands for its job; interrupted (Ctrl-C, SIGTERM) it cancels the job, not leave it running
        // unseen. So too the job its idempotency key's earlier submit made: that submit's command is gone, as a rule
        // (a retry after a lost answer), and this one is all that stands for the job. The hook is in place from the
        // submit on: a cold JVM takes a while to read the submit's answer, and the main thread goes on doing so while
        // the hook waits for it.
        var submitted = new CompletableFuture<String>();
        var followed = new AtomicBoolean();
        Thread cancelOnExit = Thread.ofPlatform().unstarted(() -> {
            if (!followed.get()) {
                submittedWithin(submitted, SUBMIT_ANSWER_BOUND).ifPresent(id ->
                        cancel(server.withCallTimeout(INTERRUPTED_CANCEL_BOUND), id, "interrupted"));
            }
        });
        Runtime.getRuntime().addShutdownHook(cancelOnExit);
        // why: with --json, standard output is the job's JSON alone, for a script to parse; its output goes to stderr
        var watcher = new JobWatcher(server, json ? System.err : System.out, System.err);
        Job done;
        try {
            try {
                Job job = server.submit(spec);
                submitted.complete(job.id());
                onSubmitted.accept(job);
            } catch (RuntimeException e) {
                submitted.completeExceptionally(e);
                throw e;
            }
            done = watcher.follow(submitted.join());
        } catch (OutputClosed e) {
            // as a command in a pipe whose reader went (| head): this one stops, and so does its job
            cancel(server, submitted.join(), "standard output closed");
            return OutputClosed.EXIT_CODE;
        } finally {
            followed.set(true);
            try {
                Runtime.getRuntime().removeShutdownHook(cancelOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs, and finds the job followed to its end
            }
        }
        if (json) {
            System.out.println(Json.write(done));
        }
        return watcher.exitCode(done);
    }

    /** The submitted job's id once the submit has answered, if it does within {@code bound} and made a job. */
    private static Optional<String> submittedWithin(CompletableFuture<String> submitted, Duration bound) {
        try {
            return Optional.of(submitted.get(bound.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException | TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static void cancel(HangarClient server, String jobId, String why) {
        try {
            server.cancel(jobId);
            System.err.println("hangar: " + why + "; cancelled job " + jobId);
        } catch (RuntimeException e) {
            System.err.println("hangar: " + why + "; could not cancel job " + jobId + ": " + e.getMessage());
        }
    }
}
