package dev.hangar.runtime.support;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import java.io.IOException;
import java.util.List;

/**
 * A launcher whose host process the driver started (bwrap, runsc run), already inside the
 * sandbox's cgroups. Its output is pumped from the start into a {@link LateSink}, so no thread is
 * started on the job's path; the launcher prints nothing, so nothing is lost or buffered.
 */
public final class HostLauncher implements WaitingLauncher<HostProcess> {
    private final Process process;
    private final HostProcess pumped;
    private final LateSink sink = new LateSink();
    private final List<String> shellMade;

    /**
     * @param shellMade variables the launcher's shell adds to its environment that the runtime's
     *                  cold start of a job would not (see {@link LauncherScript#jobLine})
     */
    public HostLauncher(Process process, Cgroup cgroup, List<String> shellMade) {
        this(process, cgroup, shellMade, status -> status);
    }

    /** As above, its exit looked at by {@code check}, as the driver's cold start of a job would (the runtime's own failures). */
    public HostLauncher(Process process, Cgroup cgroup, List<String> shellMade, HostProcess.ExitCheck check) {
        this.process = process;
        this.pumped = HostProcess.pumping(process, cgroup, sink, check);
        sink.endedWith(pumped.exit());
        this.shellMade = List.copyOf(shellMade);
    }

    /** Starts {@code builder} (whose command runs {@link LauncherScript#command}) as a waiting launcher. */
    public static HostLauncher start(ProcessBuilder builder, Cgroup cgroup, List<String> shellMade) throws IOException {
        return new HostLauncher(Spawner.start(builder), cgroup, shellMade);
    }

    @Override
    public boolean alive() {
        return process.isAlive() && !pumped.exit().isDone();
    }

    /** Sends its output to {@code output}, then writes the job's line to it, then its stdin (in the background). */
    @Override
    public HostProcess run(ProcessSpec job, OutputSink output) throws SandboxException {
        // why: the sink first, so not a byte of the job's output can come before it
        sink.attach(output);
        LauncherScript.hand(process.getOutputStream(), job, shellMade);
        pumped.feed(job.stdin());
        return pumped;
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> ready() {
        return sink.ready();
    }

    @Override
    public void discard() {
        process.destroyForcibly();
    }
}
