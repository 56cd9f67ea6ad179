package dev.hangar.cli;

import dev.hangar.client.HangarClient;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.runtime.OutputSink;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hangar logs ID [-f]}: a job's output, stdout and stderr to ours. */
@Command(name = "logs", description = "Print a job's output; -f follows it until the job ends, says how it ended and exits"
        + " with its exit code, as run does.")
final class LogsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new output until the job ends")
    boolean follow;

    @Parameters(paramLabel = "ID", description = "The job's id")
    String id;

    @Override
    public Integer call() {
        var runs = new RunMarks();
        Consumer<LogChunk> print = chunk -> {
            if (client.json) {
                OutputClosed.println(System.out, Json.write(chunk));
                return;
            }
            runs.before(chunk, System.err);
            OutputClosed.write(chunk.stream() == OutputSink.Stream.STDERR ? System.err : System.out, chunk.data());
        };
        try {
            HangarClient server = client.client();
            // why first: with no server there, or no such job, a read would wait for either to come
            server.get(id);
            if (!follow) {
                // why read on after a cut: a pager the user stays on made the server give up on the stream
                FollowLost.unlessLost(id, false, () -> {
                    server.output(id, 0, JobWatcher.RECONNECT_FOR, print);
                    return null;
                });
                return 0;
            }
            // as run follows its job: a retry's output marked, and how the job ended said and returned
            var watcher = new JobWatcher(server, System.out, System.err);
            if (client.json) {
                // the chunks as JSON lines on stdout; how the job ended on stderr and in the exit code, as without --json
                return watcher.exitCode(FollowLost.unlessLost(id,
                        () -> server.follow(id, 0, JobWatcher.RECONNECT_FOR, print)));
            }
            return watcher.exitCode(watcher.follow(id));
        } catch (OutputClosed e) {
            return OutputClosed.EXIT_CODE; // the job goes on: only its output is no longer read here
        }
    }
}
