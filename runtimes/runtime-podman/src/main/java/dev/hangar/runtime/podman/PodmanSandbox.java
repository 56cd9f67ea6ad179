package dev.hangar.runtime.podman;

import dev.hangar.core.image.ImageHold;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.DeathWatch;
import dev.hangar.runtime.support.EngineCgroup;
import dev.hangar.runtime.support.LateSink;
import dev.hangar.runtime.support.LauncherScript;
import dev.hangar.runtime.support.WaitingLauncher;
import dev.hangar.runtime.support.OneProcessSandbox;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running container whose first process only waits (see {@link ContainerSpec}); READY from
 * {@code create}. One process per sandbox: when it ends, whatever it left running is killed and
 * the container removed; {@link #destroy()} returns only when the container is gone.
 */
final class PodmanSandbox extends OneProcessSandbox<PodmanProcess> {
    private static final Logger LOG = LoggerFactory.getLogger(PodmanSandbox.class);
    /** Podman's exit code for a process it could not start for its own (or its OCI runtime's) reasons. */
    static final int PODMAN_FAILED = 125;
    /** How long Podman is given to record an exit code it has not recorded yet (a service restart). */
    private static final Duration EXIT_CODE_BOUND = Duration.ofSeconds(2);
    /** How long the processes left in a container are given to die after SIGKILL. */
    private static final Duration KILL_BOUND = Duration.ofSeconds(5);
    private static final Duration REMOVE_BOUND = Duration.ofSeconds(60);

    private final PodmanRuntime runtime;
    private final Libpod api;
    private final String containerId;
    /** Its image version, whose files the store keeps while the sandbox lives, even once the image is removed. */
    private final ImageHold image;
    private final Optional<EngineCgroup> cgroup;
    private final AtomicReference<CompletableFuture<Void>> removal = new AtomicReference<>();

    PodmanSandbox(PodmanRuntime runtime, Libpod api, SandboxSpec spec, String containerId,
            Optional<EngineCgroup> cgroup, Instant createdAt, ImageHold image) {
        super(spec, PodmanRuntime.NAME, createdAt);
        this.runtime = runtime;
        this.image = image;
        this.api = api;
        this.containerId = containerId;
        this.cgroup = cgroup;
        // the container outlives this JVM (conmon keeps it), so its job would too, unwatched
        cgroup.ifPresent(group -> DeathWatch.watch(group.directory()));
    }

    String containerId() {
        return containerId;
    }

    @Override
    protected PodmanProcess start(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        try {
            Instant started = Instant.now();
            String execId = api.createExec(containerId, ContainerSpec.exec(processSpec));
            UnixHttp.Upgraded stream = api.startExec(execId);
            var process = new PodmanProcess(this, execId, stream, sink, started);
            if (ContainerSpec.hasStdin(processSpec)) {
                process.feed(processSpec.stdin());
            }
            return process;
        } catch (IOException e) {
            throw new SandboxException("could not start " + processSpec.command() + " in podman sandbox " + id()
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts the launcher as an exec session, exactly as a job's process would start (same user,
     * working directory, environment, cgroup), with its stdin attached: the job is handed over on
     * the session's hijacked connection, so no API call is on the job's path.
     */
    @Override
    protected WaitingLauncher<PodmanProcess> launch() throws SandboxException {
        var launcher = new ProcessSpec(LauncherScript.command(id()), Map.of(), null);
        try {
            Instant started = Instant.now();
            String execId = api.createExec(containerId, ContainerSpec.exec(launcher, true));
            var sink = new LateSink();
            return new PodmanLauncher(new PodmanProcess(this, execId, api.startExec(execId), sink, started), sink);
        } catch (IOException e) {
            throw new SandboxException("could not start the launcher in podman sandbox " + id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The process's output ended: its exit code and the limits its container reached, read before
     * the container's cgroup goes; then everything left in the container is killed, and the
     * container removed in the background. {@code refused} says Podman would not start the process
     * and {@code head} (the start of stderr, or of all output when refused) holds Podman's reason.
     */
    ExitStatus finish(String execId, Instant execStarted, boolean killed, boolean refused, String head)
            throws IOException, SandboxException {
        try {
            int code = refused
                    ? notStarted(api.execSessionExitCode(execId).orElse(startFailureCode(head)), head)
                    : exitCode(execId, execStarted, killed, head);
            return new ExitStatus(code, cgroup.map(EngineCgroup::limitsHit).orElse(List.of()));
        } finally {
            // why: background processes the job left must be gone before exit() completes
            if (killEverything()) {
                removal(true);
            } else {
                remove();
            }
        }
    }

    /**
     * SIGKILL to every process in the container's cgroup, the pause process among them, which ends
     * the pid namespace; true once the cgroup is empty. Faster than asking Podman, which runs runc.
     */
    private boolean killEverything() {
        if (cgroup.isEmpty()) {
            return false;
        }
        long deadline = System.nanoTime() + KILL_BOUND.toNanos();
        while (!cgroup.get().isEmpty()) {
            cgroup.get().killAll();
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * From the exec_died event (the session is usually gone already), else from the session itself;
     * else, when the process never started and Podman said why on stderr, from that reason.
     */
    private int exitCode(String execId, Instant execStarted, boolean killed, String stderrHead)
            throws IOException, SandboxException {
        long deadline = System.nanoTime() + EXIT_CODE_BOUND.toNanos();
        while (true) {
            OptionalInt code = api.execExitCode(containerId, execStarted.minusSeconds(1));
            if (code.isEmpty()) {
                code = api.execSessionExitCode(execId);
            }
            if (code.isPresent()) {
                return code.getAsInt();
            }
            if (System.nanoTime() > deadline) {
                if (killed) {
                    return 128 + 9;
                }
                if (isStartFailure(stderrHead)) {
                    return notStarted(startFailureCode(stderrHead), stderrHead);
                }
                throw new IOException("Podman recorded no exit code for the exec session in container " + containerId);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /**
     * Podman's own report that the OCI runtime could not start the process ("Error: ... OCI runtime
     * attempted to invoke a command that was not found", "OCI permission denied", ...). Trusted only
     * when Podman recorded no exit code: a process that ran has an exec_died event.
     */
    static boolean isStartFailure(String stderrHead) {
        return stderrHead.startsWith("Error: ") && stderrHead.contains("OCI ");
    }

    /**
     * The exit code of a process Podman could not start, when it is the job's: 127 or 126, a command
     * the image lacks or cannot run. Any other code (125) is Podman's or its OCI runtime's own
     * failure, which fails the runtime, not the job.
     */
    static int notStarted(int code, String reason) throws SandboxException {
        // Podman says 125 for some the job caused too (a script without a shebang: exec format error)
        int byReason = startFailureCode(reason);
        if (code == PODMAN_FAILED && byReason != PODMAN_FAILED) {
            return byReason;
        }
        if (code == PODMAN_FAILED) {
            throw new SandboxException("podman could not start the job's process (exit code " + PODMAN_FAILED + "): "
                    + reason.strip());
        }
        return code;
    }

    /** The exit code Podman gives a process it could not start (as its TranslateExecErrorToExitCode does). */
    static int startFailureCode(String reason) {
        String lower = reason.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("not found") || lower.contains("no such file or directory") || lower.contains("open executable")) {
            return 127;
        }
        boolean cannotRun = lower.contains("permission denied") || lower.contains("operation not permitted")
                || lower.contains("exec format error");
        return cannotRun ? 126 : PODMAN_FAILED;
    }

    /** Kills every process in the container at once: through its cgroup, or by asking Podman. */
    void killContainer() {
        if (removal.get() != null) {
            return;
        }
        if (cgroup.isPresent()) {
            cgroup.get().killAll();
            return;
        }
        try {
            api.killContainer(containerId);
        } catch (IOException e) {
            LOG.warn("could not kill container {} of sandbox {}: {}", containerId, id(), e.getMessage());
        }
    }

    /**
     * Removes the container in the background, once; the future completes when it is gone. When its
     * processes were killed through the cgroup, Podman is first given time to notice: a removal
     * that races Podman's own clean-up of the exit fails ("timed out waiting for file .../exits/ID").
     */
    private CompletableFuture<Void> removal(boolean killed) {
        var mine = new CompletableFuture<Void>();
        if (!removal.compareAndSet(null, mine)) {
            return removal.get();
        }
        Thread.ofVirtual().name("podman-remove-" + id()).start(() -> {
            try {
                if (killed) {
                    api.awaitExited(containerId, Duration.ofSeconds(10));
                }
                try {
                    api.removeContainer(containerId);
                } catch (Libpod.ApiError first) {
                    Thread.sleep(500);
                    api.removeContainer(containerId);
                }
            } catch (IOException | InterruptedException e) {
                LOG.warn("could not remove container {} of sandbox {} (the next start of a node removes it): {}",
                        containerId, id(), e.getMessage());
            } finally {
                cgroup.ifPresent(group -> DeathWatch.forget(group.directory()));
                runtime.forget(this);
                mine.complete(null);
            }
        });
        return mine;
    }

    /** Removes the container and returns when it is gone. */
    private void remove() {
        removal(false).orTimeout(REMOVE_BOUND.toSeconds(), TimeUnit.SECONDS).exceptionally(e -> null).join();
    }

    @Override
    protected void release(PodmanProcess process) {
        try {
            remove();
        } finally {
            image.close();
        }
    }
}
