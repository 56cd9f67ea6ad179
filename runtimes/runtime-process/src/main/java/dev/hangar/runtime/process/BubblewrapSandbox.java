package dev.hangar.runtime.process;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.SandboxState;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.HostProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A bubblewrap sandbox: its cgroups exist from {@code create}; the namespaces come into being with
 * the process {@link #exec} starts, and die with it. One process per sandbox.
 */
final class BubblewrapSandbox implements Sandbox {
    static final String PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

    private final SandboxSpec spec;
    private final Cgroup cgroup;
    private final BubblewrapCommand command;
    private final Path imageRootfs;
    private final Instant createdAt = Instant.now();
    private SandboxState state = SandboxState.READY;
    private HostProcess process;

    BubblewrapSandbox(SandboxSpec spec, Path imageRootfs, Cgroup cgroup, BubblewrapCommand command) {
        this.spec = spec;
        this.imageRootfs = imageRootfs;
        this.cgroup = cgroup;
        this.command = command;
    }

    @Override
    public String id() {
        return spec.id();
    }

    @Override
    public String runtime() {
        return BubblewrapRuntime.NAME;
    }

    @Override
    public synchronized SandboxState state() {
        if (state == SandboxState.RUNNING && process.exit().isDone()) {
            return SandboxState.STOPPED;
        }
        return state;
    }

    @Override
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public synchronized SandboxProcess exec(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        if (state != SandboxState.READY) {
            throw new SandboxException("sandbox " + id() + " is " + state + "; a process sandbox runs one process");
        }
        var builder = new ProcessBuilder(command.build(spec, imageRootfs, cgroup, processSpec.command()));
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", PATH);
        env.put("HOME", BubblewrapCommand.WORKDIR);
        env.put("LANG", "C.UTF-8");
        env.putAll(processSpec.env());
        try {
            process = HostProcess.start(builder, cgroup, processSpec.stdin(), sink);
        } catch (IOException e) {
            throw new SandboxException("could not start bwrap: " + e.getMessage(), e);
        }
        state = SandboxState.RUNNING;
        return process;
    }

    @Override
    public void destroy() {
        HostProcess running;
        synchronized (this) {
            if (state == SandboxState.STOPPED) {
                return;
            }
            state = SandboxState.STOPPED;
            running = process;
        }
        if (running != null) {
            running.kill();
            running.exit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        cgroup.killAll();
        cgroup.remove();
    }
}
