package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import dev.hangar.client.HangarClient;
import dev.hangar.client.HangarClient.Submitted;
import dev.hangar.core.job.Job;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hangar run}: run one command as a job and exit with its exit code. Uses the server at
 * --url when one answers, else a node started in this process for this one job. Interrupted, it
 * cancels the job it made (not one its idempotency key's earlier submit made). With --detach it only
 * submits the job, to a server, and prints its id.
 */
@Command(name = "run", description = "Run a command as a job, stream its output, exit with its exit code.")
final class RunCommand implements Callable<Integer> {
    /** How long an interrupted run waits for its submit's answer, to cancel the job it made. */
    private static final Duration SUBMIT_ANSWER_BOUND = Duration.ofSeconds(5);

    @Mixin
    ClientOptions client;

    @Mixin
    JobSpecOptions job;

    @Option(names = {"-i", "--stdin"}, description = "Send this command's standard input to the job")
    boolean stdin;

    @Option(names = {"-d", "--detach"}, description = "Submit the job and print its id, without waiting for it "
            + "(needs a server; 'hangar logs -f ID' follows it)")
    boolean detach;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "Program and arguments (put -- before them)")
    List<String> command;

    /** This command's standard input, refused before anything is sent if it is more than a job's stdin may hold. */
    private static byte[] stdinWithin() throws java.io.IOException {
        int most = dev.hangar.core.job.SpecLimits.MAX_STDIN_BYTES;
        byte[] input = System.in.readNBytes(most + 1);
        if (input.length > most) {
            throw new IllegalArgumentException("--stdin: standard input is larger than " + most + " bytes, the most a job's"
                    + " stdin holds; give the job larger data through a mount");
        }
        return input;
    }

    @Override
    public Integer call() throws Exception {
        // a job's stdin is text (the spec's JSON string): bytes that are not UTF-8 would reach it changed
        String input = stdin ? SpecFile.utf8(stdinWithin(), "--stdin: standard input") : null;
        var spec = job.toSpec(command, input);
        HangarClient server = client.client();
        if (detach) {
            // why never on a node started here: that node, and the job with it, would end with this command
            Job submitted = server.submit(spec);
            System.out.println(client.json ? dev.hangar.core.json.Json.write(submitted) : submitted.id());
            return 0;
        }
        // why not healthy(): a server there but unwell must not make the job run here; nor may one named
        // on another host that does not answer (the job was meant for it): the submit then says why
        if (client.namesAnotherHost() || server.answers()) {
            return runOn(server, spec);
        }
        System.err.println("no server at " + server.url() + "; running the job on this host");
        AgentConfig here = AgentConfig.forThisHost("local-" + ProcessHandle.current().pid());
        JobSpecOptions.checkOnThisHost(spec, here);
        // why: a throw-away store for this one job, but the images of this host's node, made once
        return ThrowawayNode.use("run", here, url -> runOn(new HangarClient(url), spec));
    }

    private Integer runOn(HangarClient server, dev.hangar.core.job.JobSpec spec) {
        // why: this command stands for its job; interrupted (Ctrl-C, SIGTERM) it cancels the job, not leave it running
        // unseen. The hook is in place from the submit on: a cold JVM takes a while to read the submit's answer, and the
        // main thread goes on doing so while the hook waits for it.
        var submitted = new CompletableFuture<Submitted>();
        var followed = new AtomicBoolean();
        Thread cancelOnExit = Thread.ofPlatform().unstarted(() -> {
            if (!followed.get()) {
                submittedWithin(submitted, SUBMIT_ANSWER_BOUND).ifPresent(job -> cancelIfMade(server, job, "interrupted"));
            }
        });
        Runtime.getRuntime().addShutdownHook(cancelOnExit);
        // why: with --json, standard output is the job's JSON alone, for a script to parse; its output goes to stderr
        var watcher = new JobWatcher(server, client.json ? System.err : System.out, System.err);
        Job done;
        try {
            try {
                submitted.complete(server.submitted(spec));
            } catch (RuntimeException e) {
                submitted.completeExceptionally(e);
                throw e;
            }
            done = watcher.follow(submitted.join().job().id());
        } catch (OutputClosed e) {
            // as a command in a pipe whose reader went (| head): this one stops, and so does its job
            cancelIfMade(server, submitted.join(), "standard output closed");
            return OutputClosed.EXIT_CODE;
        } finally {
            followed.set(true);
            try {
                Runtime.getRuntime().removeShutdownHook(cancelOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs, and finds the job followed to its end
            }
        }
        if (client.json) {
            System.out.println(dev.hangar.core.json.Json.write(done));
        }
        return watcher.exitCode(done);
    }

    /** The submitted job's id once the submit has answered, if it does within {@code bound} and made a job. */
    private static Optional<Submitted> submittedWithin(CompletableFuture<Submitted> submitted, Duration bound) {
        try {
            return Optional.of(submitted.get(bound.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException | TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * Cancels the job if this run's submit made it. A job an earlier submit made under the same idempotency key is
     * that submit's: another run following it may stop following, but leaves it running.
     */
    private static void cancelIfMade(HangarClient server, Submitted submitted, String why) {
        String jobId = submitted.job().id();
        if (!submitted.made()) {
            System.err.println("hangar: " + why + "; left job " + jobId + " running: an earlier submit under its"
                    + " idempotency key made it ('hangar cancel " + jobId + "' stops it)");
            return;
        }
        try {
            server.cancel(jobId);
            System.err.println("hangar: " + why + "; cancelled job " + jobId);
        } catch (RuntimeException e) {
            System.err.println("hangar: " + why + "; could not cancel job " + jobId + ": " + e.getMessage());
        }
    }

}
