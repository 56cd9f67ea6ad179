package dev.hangar.runtime.gvisor;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.Snapshotting;
import dev.hangar.core.runtime.Threading;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.Limiter;
import dev.hangar.runtime.support.MountPoints;
import dev.hangar.runtime.support.MountTargets;
import dev.hangar.runtime.support.Programs;
import dev.hangar.runtime.support.SandboxImages;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The {@code gvisor} runtime: the job runs on gVisor's user-space kernel, started with runsc
 * directly as an OCI runtime on a bundle Hangar writes (measured faster than through Podman, see
 * {@code GvisorStartBench}).
 *
 * <p>Limits. The whole sandbox (runsc, gofer, sentry and the ptrace stubs) runs inside Hangar's
 * cgroups, joined before runsc starts; runsc is told {@code --ignore-cgroups} so it neither moves
 * the sandbox into groups of its own nor fights ours. Memory and CPU are those groups' limits, and
 * a memory limit covers everything the sandbox costs the host, the sandbox kernel included (a
 * trivial job peaks at about 18 MiB here and fails under 16 MiB: hence the 32 MiB floor). The job's
 * process count is {@code RLIMIT_NPROC}, enforced on fork by gVisor's kernel; the host pids group
 * is only a backstop, because under the ptrace platform every guest process costs the host about
 * nine tasks (stub process plus threads; 256 sleeping processes measured 2,390 host tasks).
 *
 * <p>Start. On cgroup v1 the runtime keeps one launcher parked in fresh cgroups for the next
 * sandbox (see {@link ParkedLauncher}): moving a process into v1 groups waits on the kernel, and
 * paid on the job's path it cost 5 to 16 ms per start here. The parked {@code sh} is idle until a
 * sandbox takes it, renames its groups and writes its limits; only then is it told to exec runsc.
 * The launcher also brings the sandbox's bundle directory, locked, with the fork log's FIFO made
 * (mkfifo is a process the JDK cannot avoid; spawned on the job's path it cost a few ms more).
 * Without one ready (the first sandbox, two at once, cgroup v2) runsc is started through
 * {@code CgroupJoin} as before. Each runtime instance holds one such idle {@code sh} until its JVM ends.
 *
 * <p>Caveats: gVisor implements most but not all of Linux (some syscalls, ioctls and /proc files
 * are missing or partial); inside, /proc/meminfo shows the host's memory, not the limit;
 * runsc 2022-12 creates a missing working directory (/work) in the image's root filesystem
 * through its gofer before the root goes read-only.
 *
 * <p>Snapshots ({@link GvisorSnapshots}): offered, and {@code snapshot} set in the capability
 * record, only once the probe has prepared, checkpointed and restored a trial template here.
 */
public final class GvisorRuntime implements SandboxRuntime {
    public static final String NAME = "gvisor";
    /** Forces a platform (ptrace, kvm) instead of probing for one. */
    public static final String PLATFORM_PROPERTY = "hangar.gvisor.platform";

    static final long MEMORY_FLOOR_MB = 32;
    private static final Duration KVM_TRIAL_BOUND = Duration.ofSeconds(3);
    private static final Duration TRIAL_BOUND = Duration.ofSeconds(30);
    private static final Resources KVM_TRIAL_LIMITS = new Resources(0.25, null, null, null, null, null);

    private static final RuntimeCapabilities CAPABILITIES = new RuntimeCapabilities(Isolation.SOFTWARE_KERNEL,
            BootClass.FAST, MEMORY_FLOOR_MB, Threading.EMULATED, true, true, false, false, false, false, false,
            Set.of(NetworkMode.NONE, NetworkMode.HOST));
    private static final RuntimeCapabilities WITH_SNAPSHOTS = new RuntimeCapabilities(CAPABILITIES.isolation(),
            CAPABILITIES.bootClass(), CAPABILITIES.memoryFloorMb(), CAPABILITIES.threading(), CAPABILITIES.fork(),
            CAPABILITIES.fullSyscalls(), CAPABILITIES.gpu(), true, CAPABILITIES.virtioFs(), CAPABILITIES.discard(),
            CAPABILITIES.freePageReporting(), CAPABILITIES.networkModes());

    private final Optional<Path> runsc;
    private final Optional<Path> mkfifo;
    private final Optional<Limiter> limiter;
    private final ImageStore images;
    private final Path home;
    private volatile String platform;
    private final GvisorSnapshots snapshots;
    /** Whether the probe's trial template was checkpointed and restored here. */
    private volatile boolean snapshotsVerified;
    private volatile String version;
    /** One launcher parked in fresh cgroups for the next sandbox (cgroup v1 only), or null. */
    private final java.util.concurrent.atomic.AtomicReference<ParkedLauncher> parked =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicBoolean parking = new java.util.concurrent.atomic.AtomicBoolean();

    public GvisorRuntime(RuntimeContext context) {
        this(Programs.find("runsc"), Programs.find("mkfifo"), Limiter.detect(), context);
    }

    GvisorRuntime(Optional<Path> runsc, Optional<Path> mkfifo, Optional<Limiter> limiter, RuntimeContext context) {
        this.runsc = runsc;
        this.mkfifo = mkfifo;
        this.limiter = limiter;
        this.images = context.images();
        this.home = context.dataDir().toAbsolutePath().resolve("gvisor");
        this.platform = Optional.ofNullable(System.getProperty(PLATFORM_PROPERTY)).orElse("ptrace");
        this.snapshots = new GvisorSnapshots(this, home.resolve("snapshots"));
        // why: first kill what dead nodes left in their groups, so that their runsc state can simply go
        limiter.ifPresent(Limiter::sweepStale);
        if (runsc.isPresent()) {
            sweepStale();
            snapshots.sweepStale();
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "gVisor user-space kernel (runsc as an OCI runtime, " + platform + " platform) with cgroup limits";
    }

    @Override
    public RuntimeCapabilities capabilities() {
        return snapshotsVerified ? WITH_SNAPSHOTS : CAPABILITIES;
    }

    /** Snapshot templates, once the probe has verified checkpoint and restore on this host. */
    @Override
    public Optional<Snapshotting> snapshots() {
        return snapshotsVerified ? Optional.of(snapshots) : Optional.empty();
    }

    /** The gVisor that saves and restores snapshots: the runsc version and the platform. */
    String kernel() {
        return version().orElse("runsc of unknown version") + ", " + platform + " platform";
    }

    /** The platform sandboxes are started on: ptrace, or kvm where the probe found it works. */
    public String platform() {
        return platform;
    }

    Path stateRoot() {
        return home.resolve("state");
    }

    /** {@code runsc do} on the image's root: the same kernel and platform, no bundle, no limits. */
    @Override
    public Optional<List<String>> baselineCommand(String image, List<String> command) {
        if (runsc.isEmpty()) {
            return Optional.empty();
        }
        try {
            Path rootfs = images.resolve(imageOf(image)).rootfs();
            var argv = new java.util.ArrayList<>(List.of(runsc.get().toString(), "--network=none", "--platform=" + platform,
                    "--ignore-cgroups", "--root", home.resolve("baseline-state").toString(), "do", "--root",
                    rootfs.toString(), "--cwd", "/", "--"));
            argv.addAll(command);
            return Optional.of(argv);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    Path bundles() {
        return home.resolve("bundles");
    }

    @Override
    public RuntimeProbe probe() {
        Optional<String> missing = missing();
        if (missing.isPresent()) {
            return RuntimeProbe.unavailable(missing.get());
        }
        try {
            // why: the first use of the image builds it; that is not part of starting a sandbox
            images.resolve(ImageStore.DEFAULT_IMAGE);
        } catch (IOException | RuntimeException e) {
            return RuntimeProbe.unavailable("the trial image " + ImageStore.DEFAULT_IMAGE + " could not be made: "
                    + e.getMessage());
        }
        var attributes = new LinkedHashMap<String, String>();
        attributes.put("runsc", runsc.get().toString());
        version().ifPresent(v -> attributes.put("version", v));
        attributes.put("limits", limiter.get().describe() + " around the whole sandbox; job processes by RLIMIT_NPROC");
        attributes.put("network", "none, host (runsc cannot make a sandbox network in the root netns here)");
        String forced = System.getProperty(PLATFORM_PROPERTY);
        String first = forced != null ? forced : "ptrace";
        long begin = System.nanoTime();
        Optional<String> failure = trial(first, Resources.defaults(), TRIAL_BOUND);
        Duration took = Duration.ofNanos(System.nanoTime() - begin);
        if (failure.isPresent()) {
            return RuntimeProbe.unavailable("trial sandbox on the " + first + " platform failed: " + failure.get());
        }
        String chosen = first;
        if (forced == null && kvmUsable()) {
            // why: where KVM is nested or broken, gVisor's KVM platform hangs with a core spinning;
            // the first try is bounded and capped, so it cannot starve the node's other probes
            Optional<String> kvm = trial("kvm", KVM_TRIAL_LIMITS, KVM_TRIAL_BOUND);
            if (kvm.isEmpty()) {
                long kvmBegin = System.nanoTime();
                kvm = trial("kvm", Resources.defaults(), TRIAL_BOUND);
                if (kvm.isEmpty()) {
                    chosen = "kvm";
                    took = Duration.ofNanos(System.nanoTime() - kvmBegin);
                }
            }
            kvm.ifPresent(reason -> attributes.put("kvm platform", "not used: " + reason));
        }
        platform = chosen;
        attributes.put("platform", chosen);
        Optional<String> snapshotFailure = snapshotTrial();
        snapshotsVerified = snapshotFailure.isEmpty();
        attributes.put("snapshot", snapshotFailure.map(reason -> "unavailable: " + reason).orElse(
                "checkpoint/restore verified (a template prepared, checkpointed and restored; its restored launcher"
                        + " ran a job that saw the prepared file)"));
        return RuntimeProbe.available(took, attributes);
    }

    private Optional<String> missing() {
        if (runsc.isEmpty()) {
            return Optional.of("runsc not found on PATH (install the runsc package)");
        }
        Optional<String> gone = Programs.goneSinceFound(runsc.get(), "runsc");
        if (gone.isPresent()) {
            return gone;
        }
        if (mkfifo.isEmpty()) {
            return Optional.of("mkfifo not found on PATH (install coreutils)");
        }
        if (limiter.isEmpty()) {
            return Optional.of(Limiter.UNAVAILABLE);
        }
        return Optional.empty();
    }

    private Optional<String> version() {
        if (version != null) {
            return Optional.of(version);
        }
        try {
            var result = Runsc.call(List.of(runsc.get().toString(), "--version"), Duration.ofSeconds(10));
            Optional<String> first = result.output().lines().findFirst();
            first.ifPresent(v -> version = v);
            return first;
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** /dev/kvm is there and openable; whether gVisor's KVM platform really runs is for the trial to say. */
    private static boolean kvmUsable() {
        Path kvm = Path.of("/dev/kvm");
        return Files.isReadable(kvm) && Files.isWritable(kvm);
    }

    /** Runs {@code true} in busybox on {@code candidate}; empty if it exited 0 within {@code bound}, else why not. */
    private Optional<String> trial(String candidate, Resources resources, Duration bound) {
        try (Sandbox trial = create(trialSpec("probe-", resources), candidate)) {
            return ran(trial, List.of("true"), bound, new StringBuilder());
        } catch (Exception e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    private static SandboxSpec trialSpec(String prefix, Resources resources) {
        return new SandboxSpec(prefix + randomHex(8), ImageStore.DEFAULT_IMAGE, resources, NetworkMode.NONE, List.of());
    }

    /**
     * Makes a template that writes a file, snapshots it, restores it and runs a job that reads the
     * file through the restored launcher; empty if the job printed it, else why not.
     */
    private Optional<String> snapshotTrial() {
        Snapshotting.Snapshot snapshot = null;
        try {
            snapshot = snapshots.snapshot(create(trialSpec("probe-template-", Resources.defaults())),
                    new ProcessSpec(List.of("sh", "-c", "echo prepared > /work/probe"), Map.of(), null), TRIAL_BOUND);
            try (Sandbox restored = snapshots.restore(snapshot, trialSpec("probe-restored-", Resources.defaults()))) {
                var output = new StringBuilder();
                Optional<String> failure = ran(restored, List.of("cat", "/work/probe"), TRIAL_BOUND, output);
                if (failure.isEmpty() && !output.toString().strip().equals("prepared")) {
                    return Optional.of("the restored job did not see the prepared file: it printed '" + output + "'");
                }
                return failure.map(reason -> "the restored job failed: " + reason);
            }
        } catch (Exception e) {
            return Optional.of(String.valueOf(e.getMessage()));
        } finally {
            if (snapshot != null) {
                try {
                    snapshots.delete(snapshot);
                } catch (SandboxException ignored) {
                    // the trial snapshot is under this runtime's own directory; nothing to report
                }
            }
        }
    }

    /** Runs {@code command} in {@code sandbox}; empty if it exited 0 within {@code bound}, else why not. */
    private static Optional<String> ran(Sandbox sandbox, List<String> command, Duration bound, StringBuilder output) {
        try {
            ExitStatus status = sandbox.exec(new ProcessSpec(command, Map.of(), null), (stream, data, off, len) -> {
                synchronized (output) {
                    if (output.length() < 2000) {
                        output.append(new String(data, off, len, StandardCharsets.UTF_8));
                    }
                }
            }).exit().get(bound.toMillis(), TimeUnit.MILLISECONDS);
            if (!status.success()) {
                String said;
                synchronized (output) {
                    said = output.toString().strip();
                }
                return Optional.of("'" + String.join(" ", command) + "' exited " + status.code()
                        + (said.isEmpty() ? "" : ": " + said));
            }
            return Optional.empty();
        } catch (TimeoutException e) {
            return Optional.of("'" + String.join(" ", command) + "' did not end within " + bound.toMillis() + " ms");
        } catch (Exception e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    /**
     * A prestarted sandbox runs its whole sandbox kernel ahead of the job, with the launcher as the
     * container's process (see {@code LauncherScript}); the job starts with no runsc command.
     */
    @Override
    public boolean prestarts() {
        return true;
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
        return create(spec, platform);
    }

    /** As {@link #create(SandboxSpec)}, on this platform: the probe tries each; tests name one runsc lacks. */
    Sandbox create(SandboxSpec spec, String onPlatform) throws SandboxException {
        Optional<String> missing = missing();
        if (missing.isPresent()) {
            throw new SandboxException("the gvisor runtime is unavailable: " + missing.get());
        }
        if (!capabilities().supports(spec.network())) {
            throw SandboxException.causedByTheJob("the gvisor runtime has no network mode " + spec.network()
                    + " on this host (runsc cannot make a sandbox network in the root network namespace)");
        }
        if (!spec.gpus().isEmpty()) {
            throw SandboxException.causedByTheJob("the gvisor runtime cannot pass GPUs through (no nvproxy in this runsc)");
        }
        String image = imageOf(spec.image());
        return SandboxImages.makeOn(SandboxImages.hold(images, image, spec.id()), held -> {
            GvisorSandbox sandbox = create(spec, onPlatform, image, held.image().rootfs().toAbsolutePath());
            sandbox.holdImage(held);
            return sandbox;
        });
    }

    private GvisorSandbox create(SandboxSpec spec, String onPlatform, String image, Path rootfs) throws SandboxException {
        MountTargets.check(rootfs, image, spec.mounts(), MountPoints::made);
        String runscId = runscId(spec.id());
        Resources r = spec.resources();
        int hostTasks = hostTasksLimit(r.pids());
        var limits = new Resources(r.cpus(), r.memoryMb(), hostTasks, r.diskMb(), r.gpus(), r.outputBytes());
        Cgroup cgroup = null;
        boolean fifoReady = false;
        ParkedLauncher launcher = takeParked();
        if (launcher != null) {
            try {
                cgroup = launcher.adopt("gvisor-" + runscId, limits);
                fifoReady = launcher.adoptBundle(bundles().resolve(runscId), cgroup);
            } catch (IOException | RuntimeException e) {
                launcher.discard("gvisor-" + runscId);
                launcher = null;
                cgroup = null;
            }
        }
        try {
            Files.createDirectories(stateRoot());
            if (cgroup == null) {
                cgroup = limiter.get().create("gvisor-" + runscId, limits);
            }
        } catch (IOException e) {
            if (launcher != null) {
                launcher.discard("gvisor-" + runscId);
            }
            throw new SandboxException("could not create the cgroups of sandbox " + spec.id() + ": " + e.getMessage(), e);
        }
        MountPoints mountPoints = MountPoints.claim(rootfs, spec.mounts());
        try {
            var sandbox = GvisorSandbox.create(spec, runscId, bundles().resolve(runscId), rootfs,
                    cgroup, new Runsc(runsc.get(), stateRoot(), onPlatform), mkfifo.get(), hostTasks, launcher,
                    launcher == null ? null : launcher.lock(), fifoReady);
            sandbox.mountPoints(mountPoints);
            return sandbox;
        } catch (IOException e) {
            mountPoints.release();
            if (launcher != null) {
                launcher.discard("gvisor-" + runscId);
            }
            cgroup.remove();
            GvisorSandbox.deleteTree(bundles().resolve(runscId));
            throw new SandboxException("could not create the bundle of sandbox " + spec.id() + ": " + e.getMessage(), e);
        }
    }

    /** Whether a launcher is parked and ready for the next sandbox. */
    boolean launcherReady() {
        ParkedLauncher launcher = parked.get();
        return launcher != null && launcher.ready();
    }

    /**
     * The parked launcher, if one is ready, and a new one started in the background for the next
     * sandbox. Only on cgroup v1, where joining a group is slow and groups can be renamed.
     */
    private ParkedLauncher takeParked() {
        if (!(limiter.orElse(null) instanceof Limiter.V1)) {
            return null;
        }
        ParkedLauncher taken = parked.getAndSet(null);
        if (parking.compareAndSet(false, true)) {
            Thread.ofVirtual().name("gvisor-park").start(() -> {
                try {
                    if (parked.get() == null) {
                        String pool = "pool-" + randomHex(12);
                        var next = ParkedLauncher.start(limiter.get(), "gvisor-" + pool, bundles().resolve(pool),
                                mkfifo.get());
                        if (!parked.compareAndSet(null, next)) {
                            next.discard(null);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the next sandbox joins its groups the slow way
                } finally {
                    parking.set(false);
                }
            });
        }
        if (taken != null && !taken.alive()) {
            taken.discard(null);
            return null;
        }
        return taken;
    }

    /**
     * Host tasks the sandbox's cgroup may hold: a backstop against a runaway sandbox kernel, far
     * above what the job's own process limit lets it reach. Measured on 2 cores with ptrace: 38
     * tasks for one job process, about 9.2 more per process; per process here is 16, or more on
     * hosts with more cores (the sentry runs more threads, each of which a stub may mirror).
     */
    static int hostTasksLimit(int pids) {
        int perProcess = Math.max(16, 2 * Runtime.getRuntime().availableProcessors() + 8);
        return (int) Math.min(Integer.MAX_VALUE, 128L + (long) pids * perProcess);
    }

    /** A container id runsc accepts ({@code [\w+.-]+}), unique even if a sandbox id comes back. */
    static String runscId(String sandboxId) {
        String safe = sandboxId.replaceAll("[^A-Za-z0-9_.+-]", "-");
        if (safe.length() > 48) {
            safe = safe.substring(0, 48);
        }
        return safe + "-" + randomHex(8);
    }

    private static String randomHex(int digits) {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, digits);
    }

    /**
     * Removes what sandboxes of a node that died left here: bundles nobody holds the lock of, their
     * runsc state (killing whatever of them still runs) and their cgroups' processes. A live
     * sandbox, in this JVM or another, holds its bundle's lock and is left alone.
     */
    private void sweepStale() {
        if (!Files.isDirectory(bundles())) {
            return;
        }
        List<Path> stale;
        try (Stream<Path> dirs = Files.list(bundles())) {
            stale = dirs.filter(Files::isDirectory).filter(GvisorRuntime::unlocked).toList();
        } catch (IOException e) {
            return;
        }
        Runsc runscHere = new Runsc(runsc.get(), stateRoot(), platform);
        for (Path bundle : stale) {
            String id = bundle.getFileName().toString();
            boolean gone = limiter.map(l -> groupEmpty(l, "gvisor-" + id)).orElse(false);
            // why: the network flag is not persisted; a stale sandbox was started with one of two
            GvisorSandbox.removeRunscState(runscHere, NetworkMode.NONE, id, gone);
            GvisorSandbox.removeRunscState(runscHere, NetworkMode.HOST, id, gone);
            GvisorSandbox.removeMountPointsOf(bundle);
            GvisorSandbox.deleteTree(bundle);
        }
    }

    /** No process in the named group, wherever it is (the bundle may be a dead node's, or a live one's). */
    private static boolean groupEmpty(Limiter limiter, String name) {
        for (Path group : limiter.everyPlaceOf(name)) {
            try {
                Path procs = group.resolve("cgroup.procs");
                if (Files.exists(procs) && !Files.readString(procs).isBlank()) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    static boolean unlocked(Path bundle) {
        Path lockFile = bundle.resolve(GvisorSandbox.LOCK_FILE);
        if (!Files.exists(lockFile)) {
            // why: a bundle is made a moment before its lock; only an old one without a lock is stale
            try {
                return Files.getLastModifiedTime(bundle).toMillis() < System.currentTimeMillis() - 60_000;
            } catch (IOException e) {
                return false;
            }
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return false;
            }
            lock.release();
            return true;
        } catch (OverlappingFileLockException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
