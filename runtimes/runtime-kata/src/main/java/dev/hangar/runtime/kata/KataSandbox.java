package dev.hangar.runtime.kata;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.SandboxState;
import dev.hangar.runtime.support.HostProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;

/** One Kata VM running one job's process; destroy kills the task and removes the container. */
final class KataSandbox implements Sandbox {
    private final SandboxSpec spec;
    private final Path rootfs;
    private final Path ctr;
    private final Instant createdAt = Instant.now();
    private SandboxState state = SandboxState.READY;
    private HostProcess process;

    KataSandbox(SandboxSpec spec, Path rootfs, Path ctr) {
        this.spec = spec;
        this.rootfs = rootfs;
        this.ctr = ctr;
    }

    @Override
    public String id() {
        return spec.id();
    }

    @Override
    public String runtime() {
        return KataRuntime.NAME;
    }

    @Override
    public synchronized SandboxState state() {
        return state == SandboxState.RUNNING && process.exit().isDone() ? SandboxState.STOPPED : state;
    }

    @Override
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public synchronized SandboxProcess exec(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        if (state != SandboxState.READY) {
            throw new SandboxException("sandbox " + id() + " is " + state + "; a Kata sandbox runs one process");
        }
        var env = new HashMap<String, String>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
        env.put("HOME", "/work");
        env.putAll(processSpec.env());
        var builder = new ProcessBuilder(CtrCommand.run(ctr, spec, rootfs, processSpec, env));
        try {
            process = HostProcess.start(builder, dev.hangar.runtime.support.Cgroup.none(), processSpec.stdin(), sink);
        } catch (IOException e) {
            throw new SandboxException("could not start ctr: " + e.getMessage(), e);
        }
        state = SandboxState.RUNNING;
        return process;
    }

    @Override
    public void destroy() {
        synchronized (this) {
            if (state == SandboxState.STOPPED) {
                return;
            }
            state = SandboxState.STOPPED;
        }
        // why: killing ctr does not stop the VM; the task and container are containerd's to remove
        quietly(List.of(ctr.toString(), "--namespace", CtrCommand.NAMESPACE, "task", "kill", "-s", "SIGKILL", id()));
        quietly(List.of(ctr.toString(), "--namespace", CtrCommand.NAMESPACE, "task", "rm", "-f", id()));
        quietly(List.of(ctr.toString(), "--namespace", CtrCommand.NAMESPACE, "container", "rm", id()));
        if (process != null) {
            process.kill();
        }
    }

    private static void quietly(List<String> command) {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException e) {
            // nothing left to remove
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
