package dev.hangar.runtime.kata;

import dev.hangar.core.image.ImageHold;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.ExecFailure;
import dev.hangar.runtime.support.HostProcess;
import dev.hangar.runtime.support.MountPoints;
import dev.hangar.runtime.support.OneProcessSandbox;
import dev.hangar.runtime.support.OwningProcess;
import dev.hangar.runtime.support.OwnedTempFiles;
import dev.hangar.runtime.support.SandboxEnv;
import dev.hangar.runtime.support.StderrTail;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** One Kata VM running one job's process; destroy kills the task and removes the container. */
final class KataSandbox extends OneProcessSandbox<KataSandbox.Task> {
    /** How long a killed task's {@code ctr run} may take to report the end before it is killed itself. */
    private static final Duration CLIENT_GRACE = Duration.ofSeconds(10);

    static final String CTR_FAILED = "ctr failed before the job's task existed (containerd, the Kata shim or the VM; "
            + "its reason is in the job's stderr)";

    /** Its image version, whose files the store keeps while the sandbox lives, even once the image is removed. */
    private final ImageHold image;
    private final Ctr ctr;
    private final Path init;
    private final OwnedTempFiles ctrFiles;
    /** Whether ctr failed before the job's task existed (no pid written): the container may not be its own. */
    private volatile boolean ctrFailedFirst;

    /** The mount points made for this sandbox's mounts in its image, removed once it goes. */
    private final MountPoints mountPoints;
    /** Where they are written down for the next start, should this node be killed first; null for none. */
    private final Path mountPointsFile;

    KataSandbox(SandboxSpec spec, ImageHold image, Path ctr, Path init, OwnedTempFiles ctrFiles, MountPoints mountPoints) {
        super(spec, KataRuntime.NAME, Instant.now());
        this.image = image;
        this.ctr = new Ctr(ctr);
        this.init = init;
        this.ctrFiles = ctrFiles;
        this.mountPoints = mountPoints;
        this.mountPointsFile = writeDown(ctrFiles, mountPoints);
    }

    private static Path writeDown(OwnedTempFiles files, MountPoints points) {
        if (points.paths().isEmpty()) {
            return null;
        }
        try {
            Path file = files.create(MOUNT_POINTS);
            return points.writeTo(file) ? file : null;
        } catch (IOException e) {
            return null; // then only this process removes them, when the sandbox goes
        }
    }

    private static final String MOUNT_POINTS = ".points";

    /** Removes the mount points a killed node's sandbox wrote down in {@code file}, if it is such a file. */
    static void removeRecordedMountPoints(Path file) {
        if (file.getFileName().toString().endsWith(MOUNT_POINTS)) {
            MountPoints.removeWrittenIn(file);
        }
    }

    @Override
    protected Task start(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        Map<String, String> env = SandboxEnv.of(processSpec.env());
        String envText;
        try {
            envText = CtrCommand.envFile(env);
        } catch (IllegalArgumentException e) {
            throw SandboxException.causedByTheJob(e.getMessage());
        }
        Path pidFile = null;
        Path envFile = null;
        try {
            pidFile = ctrFiles.create(".pid");
            envFile = ctrFiles.create(".env"); // owner-only, as a temp file is made
            Files.writeString(envFile, envText);
            Path written = pidFile;
            Path secrets = envFile;
            var builder = new ProcessBuilder(CtrCommand.run(ctr.program(), spec(), image.image().rootfs(), init, pidFile,
                    processSpec, envFile));
            var stderr = new StderrTail(sink);
            return new Task(HostProcess.start(builder, Cgroup.none(), processSpec.stdin(), stderr, status -> {
                try {
                    ctrFailedFirst = ctrFailed(status, written);
                    if (ctrFailedFirst) {
                        throw new SandboxException(CTR_FAILED);
                    }
                    return programRan(status, stderr, processSpec.command().getFirst(), sink);
                } finally {
                    OwnedTempFiles.delete(written);
                    OwnedTempFiles.delete(secrets);
                }
            }));
        } catch (IOException e) {
            OwnedTempFiles.delete(pidFile);
            OwnedTempFiles.delete(envFile);
            throw new SandboxException("could not start ctr: " + e.getMessage(), e);
        }
    }

    /**
     * Whether ctr failed before the job's task existed, which is the runtime's failure: ctr exits 1 for its own
     * errors (containerd away, a shim or VM that did not start, a container of that id left over), as
     * the job may exit 1 itself, but it writes the task's pid only once the task exists. Before that
     * it is the runtime's failure, not the job's (whose own command, missing or not, runs under the
     * init, in the task). ctr writes the pid before it starts the task, so a start that fails after it
     * (a VM that does not boot) still reads as the job's exit 1.
     */
    private static boolean ctrFailed(ExitStatus status, Path pidFile) {
        try {
            return status.code() == 1 && Files.size(pidFile) == 0;
        } catch (IOException e) {
            return false; // no pid file to read: as the process said
        }
    }

    /**
     * Whether the container of this sandbox's id is this process's to remove: surely so once ctr wrote the task's
     * pid; else only if its owner label names this process or one gone, as ctr may have failed on a container of
     * that id that another live process made ("already exists": a job id two deployments on one host share), whose
     * job it would kill.
     */
    private boolean containerOurs() {
        if (!ctrFailedFirst) {
            return true;
        }
        var info = ctr.read("containers", "info", containerId());
        // a gone process's is anyone's to remove, as the sweep at a start does
        return !info.ok() || KataLeftovers.ownerOf(info.output()).map(owner -> owner.equals(OwningProcess.current().label())
                || OwningProcess.gone(owner)).orElse(false);
    }

    /**
     * The status as it is, unless the init could not exec the job's program: it exits 1, as the
     * program may, and its words are then all of the job's stderr (a program that never ran wrote
     * nothing; one that ran and wrote those words among others is its own exit); then as
     * {@link ExecFailure} has it, with a line naming the program, which the init's words do not.
     */
    private static ExitStatus programRan(ExitStatus status, StderrTail stderr, String program, OutputSink sink) {
        String said = stderr.text();
        boolean initAlone = status.code() == 1 && stderr.whole() && said.indexOf('\n') >= said.length() - 1;
        Optional<ExitStatus> failed = initAlone ? ExecFailure.read(EXEC_FAILED, said, status) : Optional.empty();
        failed.ifPresent(exit -> {
            byte[] line = ("hangar: the job's program " + program + " could not be run (exit code " + exit.code() + ")\n")
                    .getBytes(StandardCharsets.UTF_8);
            sink.write(OutputSink.Stream.STDERR, line, 0, line.length);
        });
        return failed.orElse(status);
    }

    /** catatonit's word that it could not exec its child, the job's program. */
    private static final Pattern EXEC_FAILED = ExecFailure.lastWords("\\(catatonit:\\d+\\): failed to exec pid1: ");

    /**
     * The job's task, seen through the {@code ctr run} that started it. The task is containerd's, not
     * the client's: killing the client would leave it running in its VM, so a kill goes to the task,
     * and the client, which exits with the task's status, reports the end.
     */
    final class Task implements SandboxProcess {
        private final HostProcess client;

        private Task(HostProcess client) {
            this.client = client;
        }

        @Override
        public CompletableFuture<ExitStatus> exit() {
            return client.exit();
        }

        @Override
        public void kill() {
            if (client.exit().isDone()) {
                return;
            }
            ctr.run("task", "kill", "-s", "SIGKILL", containerId());
            // why: a kill that found no task (its VM still booting, or containerd did not answer) must still end
            // the run, and the task ctr may start meanwhile with it
            client.exit().copy().orTimeout(CLIENT_GRACE.toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionally(late -> {
                        client.kill();
                        Thread.ofVirtual().name("kata-remove").start(() -> ctr.remove(containerId()));
                        return null;
                    });
        }
    }

    /** The task may outlive the client (a client killed, a kill that came late): containerd's to remove. */
    @Override
    protected void release(Task process) {
        try {
            if (process != null && containerOurs()) { // else nothing was started, so containerd holds nothing of it
                ctr.remove(containerId());
            }
        } finally {
            mountPoints.release();
            OwnedTempFiles.delete(mountPointsFile);
            image.close();
        }
    }

    private String containerId() {
        return CtrCommand.containerId(id());
    }

}
