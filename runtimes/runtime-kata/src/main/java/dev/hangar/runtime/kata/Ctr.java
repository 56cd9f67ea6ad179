package dev.hangar.runtime.kata;

import dev.hangar.runtime.support.ShortCommand;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** containerd's {@code ctr} in Hangar's namespace, for its short commands (kill, rm, ls, info). */
record Ctr(Path program) {
    /** How long one of ctr's short commands may take. */
    private static final Duration BOUND = Duration.ofSeconds(30);

    /** Kills the container's task if it runs, removes the task, then the container; the last step's result. */
    ShortCommand.Result remove(String containerId) {
        run("task", "kill", "-s", "SIGKILL", containerId);
        run("task", "rm", "-f", containerId);
        return run("container", "rm", containerId);
    }

    ShortCommand.Result run(String... args) {
        return ShortCommand.run(command(args), BOUND);
    }

    /** As {@link #run}, with stdout alone in the result: what is parsed (ctr logs warnings to stderr). */
    ShortCommand.Result read(String... args) {
        return ShortCommand.read(command(args), BOUND);
    }

    private List<String> command(String... args) {
        var command = new ArrayList<>(List.of(program.toString(), "--namespace", CtrCommand.NAMESPACE));
        command.addAll(List.of(args));
        return command;
    }
}
