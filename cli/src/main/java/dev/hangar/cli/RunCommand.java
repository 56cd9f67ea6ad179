package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import dev.hangar.client.HangarClient;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hangar run}: run one command as a job and exit with its exit code. Uses the server at
 * --url when one answers, else a node started in this process for this one job. Interrupted, it
 * cancels the job. With --detach it only submits the job, to a server, and prints its id.
 */
@Command(name = "run", description = "Run a command as a job, stream its output, exit with its exit code.")
final class RunCommand implements Callable<Integer> {
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
            return FollowedRun.detached(server, spec, client.json);
        }
        // why not healthy(): a server there but unwell must not make the job run here; nor may one named
        // on another host that does not answer (the job was meant for it): the submit then says why
        if (client.namesAnotherHost() || server.answers()) {
            return FollowedRun.of(server, spec, client.json, job -> { });
        }
        System.err.println("no server at " + server.url() + "; running the job on this host");
        AgentConfig here = AgentConfig.forThisHost("local-" + ProcessHandle.current().pid());
        JobSpecOptions.checkOnThisHost(spec, here);
        // why: a throw-away store for this one job, but the images of this host's node, made once
        return ThrowawayNode.use("run", here, url -> FollowedRun.of(new HangarClient(url), spec, client.json, job -> { }));
    }
}
