package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hangar run}: run one command as a job and exit with its exit code. Uses the server at
 * --url when one answers, else a node started in this process for this one job.
 */
@Command(name = "run", description = "Run a command as a job, stream its output, exit with its exit code.")
final class RunCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Mixin
    JobSpecOptions job;

    @Option(names = {"-i", "--stdin"}, description = "Send this command's standard input to the job")
    boolean stdin;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "Program and arguments (put -- before them)")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        String input = stdin ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : null;
        var spec = job.toSpec(command, input);
        HangarClient server = client.client();
        if (server.healthy()) {
            return runOn(server, spec);
        }
        AgentConfig here = AgentConfig.forThisHost("local-" + ProcessHandle.current().pid());
        JobSpecOptions.checkOnThisHost(spec, here);
        // why: a throw-away store for this one job, but the images of this host's node, made once
        Path dataDir = Files.createTempDirectory("hangar-run-");
        Path images = new NodeOptions().dataDir().resolve("images");
        try (var local = EmbeddedHangar.start(dataDir, images, "127.0.0.1", 0, here)) {
            return runOn(new HangarClient(local.url()), spec);
        } finally {
            deleteTree(dataDir);
        }
    }

    private Integer runOn(HangarClient server, dev.hangar.core.job.JobSpec spec) {
        Job submitted = server.submit(spec);
        var watcher = new JobWatcher(server, System.out, System.err);
        Job done = watcher.follow(submitted.id());
        if (client.json) {
            System.out.println(dev.hangar.core.json.Json.write(done));
        }
        return watcher.exitCode(done);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
