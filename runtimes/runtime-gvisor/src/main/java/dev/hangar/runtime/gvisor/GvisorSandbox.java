package dev.hangar.runtime.gvisor;

import dev.hangar.core.image.ImageHold;
import dev.hangar.core.json.Json;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.SandboxState;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.MountPoints;
import dev.hangar.runtime.support.OneProcessSandbox;
import dev.hangar.runtime.support.CgroupJoin;
import dev.hangar.runtime.support.HostLauncher;
import dev.hangar.runtime.support.HostProcess;
import dev.hangar.runtime.support.LauncherScript;
import dev.hangar.runtime.support.Spawner;
import dev.hangar.runtime.support.WaitingLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * A gVisor sandbox: an OCI bundle directory and Hangar's cgroups from {@code create}; the sandbox
 * kernel itself (runsc, its gofer and sentry, and the ptrace stubs) comes into being with the
 * process {@link #exec} starts through {@code runsc run} (or with the launcher {@link #prestart()}
 * starts the same way ahead of a job), all inside those cgroups, and dies with it. One process per
 * sandbox.
 *
 * <p>{@link #destroy()} leaves nothing: no process in the cgroups, no runsc state under the
 * private root, no bundle directory, no cgroups.
 */
final class GvisorSandbox extends OneProcessSandbox<GvisorProcess> {
    static final String LOCK_FILE = ".hangar-lock";
    /** The bundle's list of the mount points its sandbox made in the image. */
    private static final String MOUNT_POINTS = "mountpoints";
    static final String FIFO = "forks.fifo";
    private static final Duration SWEEP_BOUND = Duration.ofSeconds(5);
    /** Variables the launcher's {@code sh} adds that runsc, which sets exactly config.json's, would not. */
    private static final List<String> SHELL_MADE = List.of("PWD", "OLDPWD", "SHLVL");

    private final String runscId;
    private final Path bundle;
    private final Path rootfs;
    private final Cgroup cgroup;
    private final Runsc runsc;
    private final Path mkfifo;
    private final int hostTasksLimit;
    private final FileChannel lockChannel;
    /** The FIFO of the fork log, being made since {@code create}; taken by the one {@link #start}. */
    private ForkLog.Pending fifo;
    /** A launcher already inside the cgroups, waiting for runsc's command line; taken by {@link #start}. */
    private ParkedLauncher launcher;
    private volatile boolean startedParked;
    private boolean fifoPremade;
    /** What runsc makes in the image's root for the job's mounts, removed when the sandbox goes. */
    private MountPoints mountPoints = MountPoints.NONE;
    private volatile ImageHold heldImage;
    /** The checkpoint its launcher is restored from instead of booted (see {@code GvisorSnapshots}), or null. */
    private volatile Path restoreImage;

    private GvisorSandbox(SandboxSpec spec, String runscId, Path bundle, Path rootfs, Cgroup cgroup, Runsc runsc,
            Path mkfifo, int hostTasksLimit, FileChannel lockChannel) {
        super(spec, GvisorRuntime.NAME, Instant.now());
        this.runscId = runscId;
        this.bundle = bundle;
        this.rootfs = rootfs;
        this.cgroup = cgroup;
        this.runsc = runsc;
        this.mkfifo = mkfifo;
        this.hostTasksLimit = hostTasksLimit;
        this.lockChannel = lockChannel;
    }

    /** The root of the image version it runs on. */
    Path rootfs() {
        return rootfs;
    }

    /** The image version its root is, whose files the store keeps while the sandbox lives. */
    void holdImage(ImageHold held) {
        this.heldImage = held;
    }

    /**
     * The mount points this sandbox claimed ({@link MountPoints#claim}), written into its bundle too,
     * so that the sweep after a crash removes them as this sandbox would have.
     */
    void mountPoints(MountPoints points) {
        this.mountPoints = points;
        if (!points.paths().isEmpty()) {
            points.writeTo(bundle.resolve(MOUNT_POINTS));
        }
    }

    /** Removes the mount points a crashed node's sandbox left in its image (see {@link #mountPoints}). */
    static void removeMountPointsOf(Path bundle) {
        MountPoints.removeWrittenIn(bundle.resolve(MOUNT_POINTS));
    }

    private synchronized ParkedLauncher takeLauncher() {
        ParkedLauncher taken = launcher;
        launcher = null;
        return taken;
    }

    private synchronized ForkLog.Pending takeFifo() {
        ForkLog.Pending taken = fifo;
        fifo = null;
        return taken;
    }

    /**
     * Makes the bundle directory and holds a lock on it for the sandbox's life (how a later sweep
     * tells a live sandbox's files from a crashed node's). The cgroups are made by the caller.
     */
    static GvisorSandbox create(SandboxSpec spec, String runscId, Path bundle, Path rootfs, Cgroup cgroup,
            Runsc runsc, Path mkfifo, int hostTasksLimit) throws IOException {
        return create(spec, runscId, bundle, rootfs, cgroup, runsc, mkfifo, hostTasksLimit, null, null, false);
    }

    /**
     * As above, or with a parked {@code launcher} whose pool bundle is now {@code bundle}: its lock
     * ({@code heldLock}) is taken over, and its FIFO used if {@code fifoReady}.
     */
    static GvisorSandbox create(SandboxSpec spec, String runscId, Path bundle, Path rootfs, Cgroup cgroup,
            Runsc runsc, Path mkfifo, int hostTasksLimit, ParkedLauncher launcher, FileChannel heldLock,
            boolean fifoReady) throws IOException {
        FileChannel channel = heldLock != null ? heldLock : lockBundle(bundle);
        var sandbox = new GvisorSandbox(spec, runscId, bundle, rootfs, cgroup, runsc, mkfifo, hostTasksLimit, channel);
        sandbox.launcher = launcher;
        sandbox.fifoPremade = fifoReady;
        try {
            // why: mkfifo is a process; started here, it runs while the job is being prepared
            sandbox.fifo = fifoReady ? ForkLog.Pending.made(bundle.resolve(FIFO)) : ForkLog.make(mkfifo, bundle.resolve(FIFO));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return sandbox;
    }

    /** Makes the bundle directory and takes the lock a live sandbox holds on it. */
    static FileChannel lockBundle(Path bundle) throws IOException {
        Files.createDirectories(bundle);
        // why owner only: config.json holds the job's env, which other users of the host must not read
        Files.setPosixFilePermissions(bundle, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        FileChannel channel = FileChannel.open(bundle.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
            if (channel.tryLock() == null) {
                throw new IOException("bundle " + bundle + " is in use");
            }
        } catch (IOException | OverlappingFileLockException e) {
            channel.close();
            throw e instanceof IOException io ? io : new IOException("bundle " + bundle + " is in use", e);
        }
        return channel;
    }

    /** The container id runsc knows this sandbox by (the spec's id made safe, plus a random suffix). */
    String runscId() {
        return runscId;
    }

    Path bundle() {
        return bundle;
    }

    /** Whether the fork log's FIFO came made with the bundle of a parked launcher. */
    boolean fifoPremade() {
        return fifoPremade;
    }

    SandboxSpec sandboxSpec() {
        return spec();
    }

    Runsc runsc() {
        return runsc;
    }

    /** Makes {@link #prestart()} restore the launcher saved in {@code image} rather than boot a new one. */
    void restoreFrom(Path image) {
        restoreImage = image;
    }

    /**
     * Starts {@code template} as the container's process, outside the one-process lifecycle: a
     * snapshot template, which {@code GvisorSnapshots} talks to, checkpoints and then destroys.
     */
    RunscStarted startTemplate(ProcessSpec template) throws SandboxException {
        if (state() != SandboxState.READY || launcherReady()) {
            throw new SandboxException("sandbox " + id() + " is " + (launcherReady() ? "prestarted" : state())
                    + "; a snapshot template must be a READY sandbox that was not prestarted and ran nothing");
        }
        return startRunsc(template);
    }

    /** Made by runsc's cgroup join when it fails, so that its exit code is not taken for the job's. */
    private Path joinFailedMark() {
        return bundle.resolve("join-failed");
    }

    /** Whether runsc was exec'd by a launcher parked in the cgroups ahead of time. */
    boolean startedParked() {
        return startedParked;
    }

    @Override
    protected GvisorProcess start(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        RunscStarted started = startRunsc(processSpec);
        return new GvisorProcess(HostProcess.attach(started.process(), cgroup, processSpec.stdin(), sink, runscExit()),
                started.forkLog(), this, spec().resources(), hostTasksLimit);
    }

    /** Tells runsc's own failures (its cgroup join, the sentry or gofer) from the job's exit. */
    private HostProcess.ExitCheck runscExit() {
        Path joinFailed = joinFailedMark();
        Path runscErrors = RunscFailure.file(bundle);
        return status -> RunscFailure.check(CgroupJoin.check(status, joinFailed), runscErrors);
    }

    /**
     * Starts {@code runsc run} with the launcher as the container's process, exactly as a job's
     * would start (same bundle, cgroups, user, rlimits, base environment and fork log); it waits for
     * its job on runsc's stdin, which runsc passes to the container.
     */
    @Override
    protected WaitingLauncher<GvisorProcess> launch() throws SandboxException {
        RunscStarted started = startRunsc(new ProcessSpec(LauncherScript.command(id()), Map.of(), null));
        var host = new HostLauncher(started.process(), cgroup, SHELL_MADE, runscExit());
        return new WaitingLauncher<>() {
            @Override
            public boolean alive() {
                return host.alive();
            }

            @Override
            public CompletableFuture<Void> ready() {
                // a restored launcher printed its ready byte before the checkpoint: it is ready once runsc has restored it
                return restoreImage == null ? host.ready() : restored(host);
            }

            @Override
            public GvisorProcess run(ProcessSpec job, OutputSink sink) throws SandboxException {
                return new GvisorProcess(host.run(job, sink), started.forkLog(), GvisorSandbox.this,
                        spec().resources(), hostTasksLimit);
            }

            @Override
            public void discard() {
                host.discard();
                started.forkLog().close();
            }
        };
    }

    /** Where restores are watched: each polls blocking {@code runsc state} calls, not for the common pool. */
    private static final Executor RESTORE_WATCH = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("gvisor-restore-watch-", 0).factory());

    /**
     * Completes once {@code runsc state} says the restored container runs (its launcher then waits on
     * {@code read}, where the checkpoint caught it), or fails if the restore ended first.
     */
    private CompletableFuture<Void> restored(HostLauncher host) {
        return CompletableFuture.runAsync(() -> {
            List<String> state = runsc.command(spec().network(), "state", runscId);
            while (host.alive()) {
                try {
                    Runsc.Result result = Runsc.call(state, Duration.ofSeconds(10));
                    if (result.code() == 0 && result.output().contains("\"running\"")) {
                        return;
                    }
                    Thread.sleep(5);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while restoring " + id(), e);
                }
            }
            // why wait for the launcher's account: runsc's own reason (a kernel it cannot restore, a limit hit) is
            // there, and without it a pool remade its template over and over saying only that the restore ended
            try {
                host.ready().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("runsc restore of " + id() + " ended before the sandbox ran: "
                        + e.getCause().getMessage(), e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                // no account within the wait: said as it is
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("runsc restore of " + id() + " ended before the sandbox ran");
        }, RESTORE_WATCH);
    }

    /** A {@code runsc run} (or restore) whose output nobody reads yet, and the log of its refused forks. */
    record RunscStarted(Process process, ForkLog forkLog) {}

    /** Writes config.json for {@code processSpec} and starts runsc run, inside the cgroups. */
    private RunscStarted startRunsc(ProcessSpec processSpec) throws SandboxException {
        ForkLog forkLog = null;
        try {
            Files.write(bundle.resolve("config.json"),
                    Json.mapper().writeValueAsBytes(OciSpec.config(spec(), rootfs, processSpec)));
            RunscFailure.clear(bundle);
            ForkLog.Pending pending = takeFifo();
            forkLog = pending != null ? pending.start() : ForkLog.start(mkfifo, bundle.resolve(FIFO));
            Path image = restoreImage;
            List<String> command = image == null ? runsc.run(spec().network(), bundle, runscId, forkLog.path())
                    : runsc.restore(spec().network(), bundle, runscId, forkLog.path(), image);
            ParkedLauncher parked = takeLauncher();
            Process process = null;
            // why: only a launcher that made its FIFO has joined every group (see ParkedLauncher)
            if (parked != null && fifoPremade && parked.alive() && ParkedLauncher.passable(bundle, command)) {
                try {
                    process = parked.launch(bundle, command);
                    startedParked = true;
                } catch (IOException e) {
                    // why: the launcher died while parked; runsc is started the slow way below
                    process = null;
                }
            }
            if (process == null) {
                if (parked != null) {
                    parked.abandon();
                }
                var builder = new ProcessBuilder(CgroupJoin.wrapMarkingFailure(cgroup, joinFailedMark(), command));
                builder.directory(bundle.toFile());
                // why: runsc passes none of its own environment to the job (that is config.json's), and
                // it should not read XDG_RUNTIME_DIR or the like from the node's either
                builder.environment().clear();
                builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
                process = Spawner.start(builder);
            }
            return new RunscStarted(process, forkLog);
        } catch (IOException | UncheckedIOException e) {
            if (forkLog != null) {
                forkLog.close();
            }
            throw new SandboxException("could not start runsc for sandbox " + id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * SIGKILLs everything in the sandbox's cgroups until they are empty: runsc, the gofer, the
     * sentry and its ptrace stubs. One pass can miss a stub the sentry forks meanwhile, hence the
     * loop. True if the groups are empty.
     */
    boolean killEverything() {
        long deadline = System.nanoTime() + SWEEP_BOUND.toNanos();
        cgroup.killAll();
        while (!cgroupEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleepQuietly(10);
            cgroup.killAll();
        }
        return true;
    }

    private boolean cgroupEmpty() {
        for (Path procs : cgroup.procsFiles()) {
            try {
                if (!Files.readString(procs).isBlank()) {
                    return false;
                }
            } catch (IOException e) {
                // a group that is gone holds nothing
            }
        }
        return true;
    }

    @Override
    protected void release(GvisorProcess process) {
        try {
            if (process != null) {
                process.forkLog().close();
            }
            ParkedLauncher idle = takeLauncher();
            if (idle != null) {
                idle.abandon();
            }
            ForkLog.Pending unused = takeFifo();
            if (unused != null) {
                unused.abandon();
            }
            boolean allGone = killEverything();
            removeRunscState(runsc, spec().network(), runscId, allGone);
            mountPoints.release(); // a process of it still alive keeps its mounts: they are in its gofer's namespace
            releaseAndDelete();
            cgroup.remove();
        } finally {
            ImageHold held = heldImage;
            if (held != null) {
                held.close();
            }
        }
    }

    private void releaseAndDelete() {
        try {
            lockChannel.close();
        } catch (IOException ignored) {
            // closing releases the lock; nothing else to do
        }
        deleteTree(bundle);
    }

    /**
     * Removes what runsc keeps about a container under its root. A container that ended by itself
     * has nothing left; one whose runsc was killed leaves its state and lock files. When every
     * process of the sandbox is known to be gone, they are just deleted: {@code runsc delete
     * --force} would do the same but takes about 1.8 s over a dead sandbox (measured), which is
     * why it is only the way when something of it may still run (it kills that too).
     */
    static void removeRunscState(Runsc runsc, NetworkMode network, String runscId, boolean processesGone) {
        if (stateEntries(runsc.root(), runscId).isEmpty()) {
            return;
        }
        if (!processesGone) {
            try {
                Runsc.call(runsc.command(network, "delete", "--force", runscId), Duration.ofSeconds(15));
            } catch (IOException e) {
                // what is left is removed by hand below
            }
        }
        // why: a sandbox that died while starting leaves a lock file delete does not know about
        for (Path left : stateEntries(runsc.root(), runscId)) {
            deleteTree(left);
        }
    }

    /** Entries runsc keeps for a container under its root: "ID_sandbox:ID.state" and ".lock" (older: a directory ID). */
    static List<Path> stateEntries(Path root, String runscId) {
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(p -> {
                String name = p.getFileName().toString();
                return name.equals(runscId) || name.startsWith(runscId + "_sandbox:");
            }).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static void deleteTree(Path path) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: a later sweep of stale bundles finds what is left
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
