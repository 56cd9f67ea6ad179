package dev.hangar.runtime.process;

import dev.hangar.core.image.ImageHold;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.HostLauncher;
import dev.hangar.runtime.support.HostProcess;
import dev.hangar.runtime.support.LauncherScript;
import dev.hangar.runtime.support.OneProcessSandbox;
import dev.hangar.runtime.support.OwnedTempFiles;
import dev.hangar.runtime.support.SandboxEnv;
import dev.hangar.runtime.support.StderrTail;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A bubblewrap sandbox: its cgroups exist from {@code create}; the namespaces come into being with
 * the process {@link #exec} starts, or with the launcher {@link #prestart()} starts ahead of a job,
 * and die with it. One process per sandbox.
 */
final class BubblewrapSandbox extends OneProcessSandbox<HostProcess> {
    static final String PATH = SandboxEnv.PATH;
    /**
     * Variables the launcher's {@code sh} adds to its environment that a job bwrap starts directly
     * would not have (bwrap itself sets PWD, so that one stays).
     */
    private static final List<String> SHELL_MADE = List.of("SHLVL", "OLDPWD");

    private final Cgroup cgroup;
    private final BubblewrapCommand command;
    private final Path imageRootfs;
    /** The job's image version, whose files the store keeps while the sandbox lives; null without one. */
    private final ImageHold image;

    BubblewrapSandbox(SandboxSpec spec, Path imageRootfs, ImageHold image, Cgroup cgroup, BubblewrapCommand command) {
        super(spec, BubblewrapRuntime.NAME, Instant.now());
        this.imageRootfs = imageRootfs;
        this.image = image;
        this.cgroup = cgroup;
        this.command = command;
    }

    @Override
    protected HostProcess start(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        Path status = null;
        Path options = null;
        try {
            status = BubblewrapStatus.file();
            options = BubblewrapOptionsFile.write(BubblewrapCommand.environment(environment(processSpec.env())));
            var files = new BubblewrapCommand.JobFiles(status, options);
            var stderr = new StderrTail(sink);
            return HostProcess.start(builder(processSpec.command(), Map.of(), files), cgroup, processSpec.stdin(), stderr,
                    exit -> {
                        try {
                            return BubblewrapStatus.check(exit, files.status(), stderr.text());
                        } finally {
                            OwnedTempFiles.delete(files.options());
                        }
                    });
        } catch (IOException e) {
            deleteAll(status, options);
            throw new SandboxException("could not start bwrap: " + e.getMessage(), e);
        } catch (SandboxException | RuntimeException e) {
            deleteAll(status, options);
            throw e;
        }
    }

    private static void deleteAll(Path... files) {
        for (Path file : files) {
            OwnedTempFiles.delete(file);
        }
    }

    /** The launcher in the same bwrap, cgroups and base environment a job would get; it waits for its job. */
    @Override
    protected HostLauncher launch() throws SandboxException {
        try {
            return HostLauncher.start(builder(LauncherScript.command(id()), environment(Map.of()), null), cgroup, SHELL_MADE);
        } catch (IOException e) {
            throw new SandboxException("could not start bwrap: " + e.getMessage(), e);
        }
    }

    /** The sandboxed program's whole environment: the sandbox's base, then the job's own. */
    private static Map<String, String> environment(Map<String, String> jobEnv) {
        return SandboxEnv.of(jobEnv);
    }

    /** @param files a job process's (its environment then read from them), or null for {@code env} on the command line */
    private ProcessBuilder builder(List<String> argv, Map<String, String> env, BubblewrapCommand.JobFiles files)
            throws SandboxException {
        ProcessBuilder builder;
        try {
            builder = new ProcessBuilder(command.build(spec(), imageRootfs, cgroup, argv, env, files));
        } catch (java.io.UncheckedIOException e) { // the image's root gone since create: the runtime's fault, not the agent's
            throw new SandboxException("could not read the image for bwrap: " + e.getMessage(), e);
        }
        // the host side's own: none of the job's (see BubblewrapCommand#build)
        Map<String, String> hostEnv = builder.environment();
        hostEnv.clear();
        hostEnv.put("PATH", PATH);
        hostEnv.put("LANG", "C.UTF-8");
        return builder;
    }

    @Override
    protected void release(HostProcess process) {
        try {
            cgroup.killAll();
            cgroup.remove();
        } finally {
            if (image != null) {
                image.close();
            }
        }
    }
}
