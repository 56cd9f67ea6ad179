package dev.hangar.runtime.podman;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.runtime.support.LateSink;
import dev.hangar.runtime.support.LauncherScript;
import dev.hangar.runtime.support.WaitingLauncher;
import java.util.List;

/**
 * A prestarted podman sandbox's launcher: an exec session already running, whose output is read
 * from the start into a {@link LateSink}. The job is the session's process once the launcher execs
 * it, so its exit code, output and limits are found exactly as a cold exec's.
 */
final class PodmanLauncher implements WaitingLauncher<PodmanProcess> {
    /** Variables the launcher's {@code sh} adds that an exec session's process would not have. */
    private static final List<String> SHELL_MADE = List.of("PWD", "OLDPWD", "SHLVL");

    private final PodmanProcess session;
    private final LateSink sink;

    PodmanLauncher(PodmanProcess session, LateSink sink) {
        this.session = session;
        this.sink = sink;
        sink.endedWith(session.exit());
    }

    /** The session's output has not ended: the launcher still waits. */
    @Override
    public boolean alive() {
        return !session.exit().isDone();
    }

    @Override
    public PodmanProcess run(ProcessSpec job, OutputSink output) throws SandboxException {
        // why: the sink first, so not a byte of the job's output can come before it
        sink.attach(output);
        LauncherScript.hand(session.input(), job, SHELL_MADE);
        session.feed(job.stdin());
        return session;
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> ready() {
        return sink.ready();
    }

    @Override
    public void discard() {
        session.kill();
    }
}
