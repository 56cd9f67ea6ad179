package dev.hangar.runtime.process;

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
import java.util.Map;

/**
 * A bubblewrap sandbox: its cgroups exist from {@code create}; the namespaces come into being with
 * the process {@link #exec} starts, and die with it. One process per sandbox.
 */
final class BubblewrapSandbox extends OneProcessSandbox<HostProcess> {
    static final String PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

    private final Cgroup cgroup;
    private final BubblewrapCommand command;
    private final Path imageRootfs;

    BubblewrapSandbox(SandboxSpec spec, Path imageRootfs, Cgroup cgroup, BubblewrapCommand command) {
        super(spec, BubblewrapRuntime.NAME, Instant.now());
        this.imageRootfs = imageRootfs;
        this.cgroup = cgroup;
        this.command = command;
    }

    @Override
    protected HostProcess start(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        var builder = new ProcessBuilder(command.build(spec(), imageRootfs, cgroup, processSpec.command()));
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", PATH);
        env.put("HOME", BubblewrapCommand.WORKDIR);
        env.put("LANG", "C.UTF-8");
        env.putAll(processSpec.env());
        try {
            return HostProcess.start(builder, cgroup, processSpec.stdin(), sink);
        } catch (IOException e) {
            throw new SandboxException("could not start bwrap: " + e.getMessage(), e);
        }
    }

    @Override
    protected void release(HostProcess process) {
        cgroup.killAll();
        cgroup.remove();
    }
}
