package dev.hangar.runtime.gvisor;

import dev.hangar.core.runtime.NetworkMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;

/**
 * Command lines for one runsc binary, state directory and platform. runsc wants the same global
 * flags (before the command) on every call about one container, so they are made here only.
 *
 * <p>Always: a private {@code --root} (never /var/run/runsc), {@code --ignore-cgroups} (the whole
 * sandbox stays in Hangar's own cgroups, which runsc would otherwise leave for groups of its own
 * named after the container), and {@code --network=none} or {@code host} (runsc cannot make a
 * sandbox network in the root network namespace here).
 */
record Runsc(Path binary, Path root, String platform) {
    /** Syscalls whose EAGAIN means RLIMIT_NPROC, i.e. the sandbox's pids limit, refused a process. */
    static final String FORK_SYSCALLS = "clone,fork,vfork,clone3";

    static String networkFlag(NetworkMode network) {
        return network == NetworkMode.HOST ? "host" : "none";
    }

    List<String> globalFlags(NetworkMode network) {
        return List.of("--root=" + root, "--platform=" + platform, "--network=" + networkFlag(network),
                "--ignore-cgroups");
    }

    /**
     * {@code runsc run} in the foreground: the container's stdio are runsc's, its exit code is
     * runsc's. With {@code forkLog}, the sentry traces only the fork syscalls into that file (a FIFO
     * Hangar reads), which is how a refused fork is seen at all.
     */
    List<String> run(NetworkMode network, Path bundle, String id, Path forkLog) {
        return boot(network, bundle, forkLog, "run", "--bundle", bundle.toString(), id);
    }

    /**
     * {@code runsc restore} in the foreground, as {@link #run} but from the checkpoint in {@code image}:
     * the restored process continues where it was saved, and this runsc's stdio are its stdio.
     */
    List<String> restore(NetworkMode network, Path bundle, String id, Path forkLog, Path image) {
        return boot(network, bundle, forkLog, "restore", "--image-path=" + image, "--bundle", bundle.toString(), id);
    }

    /** Saves a running container into {@code image} (a new directory) and stops it. */
    List<String> checkpoint(NetworkMode network, Path image, String id) {
        return command(network, "checkpoint", "--image-path=" + image, id);
    }

    /** With runsc's own errors written to {@link RunscFailure#file}, to tell them from the container's exit. */
    private List<String> boot(NetworkMode network, Path bundle, Path forkLog, String... command) {
        var argv = new ArrayList<String>();
        argv.add(binary.toString());
        argv.addAll(globalFlags(network));
        argv.addAll(List.of("--log=" + RunscFailure.file(bundle), "--log-format=json"));
        if (forkLog != null) {
            argv.addAll(List.of("--strace", "--strace-syscalls=" + FORK_SYSCALLS, "--debug-log=" + forkLog,
                    "--debug-command=boot"));
        }
        argv.addAll(List.of(command));
        return argv;
    }

    List<String> command(NetworkMode network, String... command) {
        var argv = new ArrayList<String>();
        argv.add(binary.toString());
        argv.addAll(globalFlags(network));
        argv.addAll(List.of(command));
        return argv;
    }

    /** Result of a short runsc call. */
    record Result(int code, String output) {}

    /** Runs a short command (kill, delete, --version) to its end; output is stdout and stderr together. */
    static Result call(List<String> argv, Duration timeout) throws IOException {
        var builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        Process process = builder.start();
        process.getOutputStream().close();
        // why: read on another thread, so a command that hangs with its output open still times out
        var output = new CompletableFuture<String>();
        Thread.ofPlatform().daemon().name("runsc-call").start(() -> {
            try (var in = process.getInputStream()) {
                output.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                output.complete("");
            }
        });
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", argv) + " did not end within " + timeout.toMillis() + " ms");
            }
            String text;
            try {
                text = output.get(2, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                text = "";
            }
            return new Result(process.exitValue(), text);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + String.join(" ", argv), e);
        }
    }
}
