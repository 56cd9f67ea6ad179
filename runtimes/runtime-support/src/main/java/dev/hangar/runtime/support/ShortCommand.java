package dev.hangar.runtime.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A host command a driver runs to its end, bounded, its output kept: mount(8), ctr's kill and rm. */
public final class ShortCommand {
    private ShortCommand() {}

    /** The exit code (-1 if the command did not start or end) and what it printed, stdout and stderr together. */
    public record Result(int code, String output) {
        public boolean ok() {
            return code == 0;
        }
    }

    /** Runs it; the output is stdout and stderr together. */
    public static Result run(List<String> argv, Duration bound) {
        return run(new ProcessBuilder(argv).redirectErrorStream(true), argv, bound);
    }

    /** Runs it; the output is stdout alone (what a caller parses: a program's warnings go to stderr). */
    public static Result read(List<String> argv, Duration bound) {
        return run(new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD), argv, bound);
    }

    private static Result run(ProcessBuilder builder, List<String> argv, Duration bound) {
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            // read aside: a command that hangs (a mount of a dead network share) must not hold the caller for ever
            var output = new CompletableFuture<byte[]>();
            Thread.ofVirtual().name("command-output").start(() -> {
                try (InputStream in = process.getInputStream()) {
                    output.complete(in.readAllBytes());
                } catch (IOException e) {
                    output.complete(new byte[0]);
                }
            });
            if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly); // what a shell started, too
                process.destroyForcibly();
                return new Result(-1, argv.getFirst() + " did not end within " + bound.toSeconds() + " s");
            }
            return new Result(process.exitValue(), new String(output.join(), StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
