package dev.hangar.runtime.kata;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.HostProcess;
import dev.hangar.runtime.support.OneProcessSandbox;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;

/** One Kata VM running one job's process; destroy kills the task and removes the container. */
final class KataSandbox extends OneProcessSandbox<HostProcess> {
    private final Path rootfs;
    private final Path ctr;

    KataSandbox(SandboxSpec spec, Path rootfs, Path ctr) {
        super(spec, KataRuntime.NAME, Instant.now());
        this.rootfs = rootfs;
        this.ctr = ctr;
    }

    @Override
    protected HostProcess start(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        var env = new HashMap<String, String>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
        env.put("HOME", "/work");
        env.putAll(processSpec.env());
        var builder = new ProcessBuilder(CtrCommand.run(ctr, spec(), rootfs, processSpec, env));
        try {
            return HostProcess.start(builder, Cgroup.none(), processSpec.stdin(), sink);
        } catch (IOException e) {
            throw new SandboxException("could not start ctr: " + e.getMessage(), e);
        }
    }

    /** Killing ctr does not stop the VM: the task and the container are containerd's to remove. */
    @Override
    protected void release(HostProcess process) {
        String id = CtrCommand.containerId(id());
        quietly(List.of(ctr.toString(), "--namespace", CtrCommand.NAMESPACE, "task", "kill", "-s", "SIGKILL", id));
        quietly(List.of(ctr.toString(), "--namespace", CtrCommand.NAMESPACE, "task", "rm", "-f", id));
        quietly(List.of(ctr.toString(), "--namespace", CtrCommand.NAMESPACE, "container", "rm", id));
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
