package dev.hangar.runtime.kata;

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
import dev.hangar.core.runtime.Threading;
import dev.hangar.runtime.support.MountPoints;
import dev.hangar.runtime.support.MountTargets;
import dev.hangar.runtime.support.OwnedTempFiles;
import dev.hangar.runtime.support.SandboxImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The {@code kata} runtime: a container in a lightweight VM, through containerd's Kata shim v2
 * driven with {@code ctr}. Where Kata, containerd or KVM is missing it reports itself unavailable
 * with the reason. It has been tested against a simulator of ctr only, so its probe says "API-tested
 * only" even where a trial VM ran.
 */
public final class KataRuntime implements SandboxRuntime {
    public static final String NAME = "kata";
    private static final System.Logger LOG = System.getLogger(KataRuntime.class.getName());

    /**
     * No GPUs: a VM gets one only through VFIO (the GPU bound to vfio-pci), which the driver does not
     * do; a host device node copied into the container would name hardware the guest lacks. No host
     * network: Kata's VM cannot share the host's network namespace (its documented limitations).
     */
    private static final RuntimeCapabilities CAPABILITIES = new RuntimeCapabilities(Isolation.HARDWARE, BootClass.FAST,
            128, Threading.NATIVE, true, true, false, false, true, false, false, Set.of(NetworkMode.NONE));

    private final KataHost host;
    private final ImageStore images;
    /** ctr's pid and environment files; those of a JVM that is gone are swept at start. */
    private final OwnedTempFiles ctrFiles;

    public KataRuntime(RuntimeContext context) {
        this(KataHost.detect(), context.images(), context.dataDir().resolve("kata"));
        ctrFiles.sweep(KataSandbox::removeRecordedMountPoints);
    }

    /** @param dir where ctr's pid and environment files go (see {@code KataSandbox}): made for this user alone */
    KataRuntime(KataHost host, ImageStore images, Path dir) {
        this.host = host;
        this.images = images;
        try {
            this.ctrFiles = OwnedTempFiles.in(dir, "ctr");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot make the kata runtime's directory " + dir, e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "container in a Kata Containers VM (containerd shim v2, driven with ctr)";
    }

    @Override
    public RuntimeCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public RuntimeProbe probe() {
        var missing = host.missing();
        if (missing.isPresent()) {
            return RuntimeProbe.unavailable(missing.get());
        }
        // beside the trial: a wedged shim may hold each of its ctr calls for their whole bound
        Ctr ctr = new Ctr(host.ctr().orElseThrow());
        var sweep = new java.util.concurrent.CompletableFuture<Void>();
        Thread.ofVirtual().name("kata-leftovers").start(() -> {
            try {
                int swept = KataLeftovers.sweep(ctr);
                if (swept > 0) {
                    LOG.log(System.Logger.Level.INFO, "removed {0} Kata container(s) left by Hangar processes that are gone",
                            swept);
                }
            } finally {
                sweep.complete(null);
            }
        });
        try {
            return probeWithTrial();
        } finally {
            awaitSweep(sweep);
        }
    }

    /**
     * Waits a while for the sweep: a node hands back the jobs a killed one held as soon as its runtimes are probed,
     * and a killed run's VM still running beside the job's next run would run the job twice at once.
     */
    private static void awaitSweep(java.util.concurrent.CompletableFuture<Void> sweep) {
        try {
            sweep.get(SWEEP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "the sweep of Kata containers that gone Hangar processes left goes on after "
                    + SWEEP_WAIT.toSeconds() + " s: a job they ran may run beside its next run until it ends");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // never: it is completed however the sweep ends
        }
    }

    /** How long a probe waits for the sweep beyond its trial VM. */
    private static final Duration SWEEP_WAIT = Duration.ofSeconds(30);

    private RuntimeProbe probeWithTrial() {
        long begin = System.nanoTime();
        try (Sandbox trial = create(new SandboxSpec("probe-" + UUID.randomUUID(), null,
                new Resources(null, 256L, null, null, null, null), NetworkMode.NONE, List.of()))) {
            ExitStatus status = trial.exec(new ProcessSpec(List.of("true"), Map.of(), null), OutputSink.discard())
                    .exit().get(120, TimeUnit.SECONDS);
            if (!status.success()) {
                return RuntimeProbe.unavailable("trial Kata VM running 'true' exited " + status.code());
            }
        } catch (Exception e) {
            return RuntimeProbe.unavailable("trial Kata VM failed: " + e.getMessage());
        }
        // why marked: the driver has run against CtrSimulator only; a trial VM here is its first real run
        return RuntimeProbe.available(Duration.ofNanos(System.nanoTime() - begin),
                Map.of("shim", host.shim().orElseThrow().toString(), "front-end", "ctr")).markedApiTestedOnly();
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
        var missing = host.missing();
        if (missing.isPresent()) {
            throw new SandboxException("the kata runtime is unavailable: " + missing.get());
        }
        if (!capabilities().supports(spec.network())) {
            throw SandboxException.causedByTheJob("the kata runtime has no network mode " + spec.network());
        }
        if (!spec.gpus().isEmpty()) {
            throw SandboxException.causedByTheJob("the kata runtime cannot pass GPUs through (no VFIO set up)");
        }
        String image = imageOf(spec.image());
        return SandboxImages.makeOn(SandboxImages.hold(images, image, spec.id()), held -> {
            Path rootfs = held.image().rootfs();
            // why the points claimed: the Kata agent makes a mount's missing point in the image's own root, which the VM
            // shares, and every later job of that image would meet it (a file mounted there refused as a directory)
            MountTargets.check(rootfs, image, spec.mounts(), MountPoints::made);
            MountPoints points = MountPoints.claim(rootfs, spec.mounts());
            return new KataSandbox(spec, held, host.ctr().orElseThrow(), host.init().orElseThrow(), ctrFiles, points);
        });
    }
}
