package dev.hangar.runtime.support;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** A sandboxed process tree started from the host, inside its sandbox's cgroups, its output pumped to a sink. */
public final class HostProcess implements SandboxProcess {
    private final Process process;
    private final Cgroup cgroup;
    private final CompletableFuture<ExitStatus> exit;

    /**
     * Looks at how a process ended before its exit completes: returns the status, or throws a
     * {@link SandboxException} when the code is the launcher's own failure (the sandbox never ran
     * the job's program), which then completes the exit.
     */
    public interface ExitCheck {
        ExitStatus check(ExitStatus status) throws SandboxException;
    }

    private HostProcess(Process process, Cgroup cgroup, OutputSink sink, ExitCheck check) {
        this.process = process;
        this.cgroup = cgroup;
        var stdout = OutputPump.start(process.getInputStream(), OutputSink.Stream.STDOUT, sink);
        var stderr = OutputPump.start(process.getErrorStream(), OutputSink.Stream.STDERR, sink);
        this.exit = process.onExit()
                .thenCombine(CompletableFuture.allOf(stdout, stderr), (p, drained) -> p.exitValue())
                .thenApply(code -> {
                    // why: a job may leave background processes behind; they die with it
                    cgroup.killAll();
                    try {
                        return check.check(new ExitStatus(code, cgroup.limitsHit()));
                    } catch (SandboxException e) {
                        throw new CompletionException(e);
                    }
                });
    }

    public static HostProcess start(ProcessBuilder builder, Cgroup cgroup, byte[] stdin, OutputSink sink)
            throws IOException {
        return start(builder, cgroup, stdin, sink, status -> status);
    }

    /** As {@link #start(ProcessBuilder, Cgroup, byte[], OutputSink)}, its exit looked at by {@code check}. */
    public static HostProcess start(ProcessBuilder builder, Cgroup cgroup, byte[] stdin, OutputSink sink, ExitCheck check)
            throws IOException {
        Process process = Spawner.start(builder);
        var started = new HostProcess(process, cgroup, sink, check);
        started.feed(stdin);
        return started;
    }

    /**
     * Takes over a process that was started earlier, already inside {@code cgroup} (e.g. one parked
     * until it is told what to exec): pumps its output to {@code sink} and feeds it {@code stdin}.
     */
    public static HostProcess attach(Process process, Cgroup cgroup, byte[] stdin, OutputSink sink) {
        return attach(process, cgroup, stdin, sink, status -> status);
    }

    /** As {@link #attach(Process, Cgroup, byte[], OutputSink)}, its exit looked at by {@code check}. */
    public static HostProcess attach(Process process, Cgroup cgroup, byte[] stdin, OutputSink sink, ExitCheck check) {
        var attached = new HostProcess(process, cgroup, sink, check);
        attached.feed(stdin);
        return attached;
    }

    /**
     * Takes over a prestarted launcher's process (see {@link HostLauncher}): its output is pumped
     * from now on, to {@code sink} (a {@link LateSink} the job's sink is attached to later); its stdin
     * is left open for the job.
     */
    static HostProcess pumping(Process process, Cgroup cgroup, OutputSink sink, ExitCheck check) {
        return new HostProcess(process, cgroup, sink, check);
    }

    /** Writes {@code stdin} (may be null) in the background, then closes the process's stdin. */
    void feed(byte[] stdin) {
        OutputStream in = process.getOutputStream();
        if (stdin == null || stdin.length == 0) {
            closeQuietly(in);
            return;
        }
        Thread.ofVirtual().name("stdin").start(() -> {
            try (in) {
                in.write(stdin);
            } catch (IOException ignored) {
                // why: a process may exit without reading its input
            }
        });
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException ignored) {
            // nothing to do: the process is gone
        }
    }

    @Override
    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    @Override
    public void kill() {
        // why: killing bwrap makes the kernel kill its pid namespace; the cgroup sweep catches
        // anything that was still between fork and namespace
        process.destroyForcibly();
        cgroup.killAll();
    }
}
