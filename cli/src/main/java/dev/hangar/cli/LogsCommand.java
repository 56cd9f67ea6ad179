package dev.hangar.cli;

import dev.hangar.client.HangarClient;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.runtime.OutputSink;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hangar logs ID [-f]}: a job's output, stdout and stderr to ours. */
@Command(name = "logs", description = "Print a job's output; -f follows it until the job ends.")
final class LogsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new output until the job ends")
    boolean follow;

    @Parameters(paramLabel = "ID", description = "The job's id")
    String id;

    @Override
    public Integer call() {
        Consumer<LogChunk> print = chunk -> {
            if (client.json) {
                System.out.println(Json.write(chunk));
                return;
            }
            PrintStream target = chunk.stream() == OutputSink.Stream.STDERR ? System.err : System.out;
            target.write(chunk.data(), 0, chunk.data().length);
            target.flush();
        };
        if (follow) {
            HangarClient server = client.client();
            // why first: with no server there, or no such job, a follow would wait for either to come
            server.get(id);
            server.follow(id, 0, JobWatcher.RECONNECT_FOR, print);
        } else {
            client.client().logs(id, false, 0, print);
        }
        return 0;
    }
}
