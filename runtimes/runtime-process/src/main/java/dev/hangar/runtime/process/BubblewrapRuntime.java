package dev.hangar.runtime.process;

import dev.hangar.core.image.ImageHold;
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
import dev.hangar.runtime.support.Limiter;
import dev.hangar.runtime.support.OwnedTempFiles;
import dev.hangar.runtime.support.Programs;
import dev.hangar.runtime.support.SandboxImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The {@code process} runtime: a host command in fresh namespaces made by bubblewrap, with /usr
 * read-only, private tmpfs /tmp and /work, no network unless asked, and cgroup limits on memory,
 * pids and CPU.
 */
public final class BubblewrapRuntime implements SandboxRuntime {
    public static final String NAME = "process";

    private static final RuntimeCapabilities CAPABILITIES = new RuntimeCapabilities(Isolation.NAMESPACE,
            BootClass.INSTANT, 0, Threading.NATIVE, true, true, false, false, false, false, false,
            Set.of(NetworkMode.NONE, NetworkMode.HOST));

    /** bwrap's monitor and its pid namespace's init share the sandbox's group with the job. */
    private static final int BWRAP_OWN_PROCESSES = 2;
    /** A job process's files beside bwrap (status, options), named after this process: a killed node's are swept. */
    static final OwnedTempFiles TEMP_FILES = OwnedTempFiles.of("hangar-bwrap");

    private final Optional<Path> bwrap;
    private final Optional<Limiter> limiter;
    private final ImageStore images;
    private final SandboxHostUser hostUser;

    public BubblewrapRuntime(RuntimeContext context) {
        this(Programs.find("bwrap"), Limiter.detect(), context.images());
        limiter.ifPresent(Limiter::sweepStale);
        TEMP_FILES.sweep();
    }

    BubblewrapRuntime(Optional<Path> bwrap, Optional<Limiter> limiter, ImageStore images) {
        this.bwrap = bwrap;
        this.limiter = limiter;
        this.images = images;
        this.hostUser = SandboxHostUser.of(Programs.find("setpriv"), images);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "host command in Linux namespaces (bubblewrap) with cgroup limits";
    }

    @Override
    public RuntimeCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public RuntimeProbe probe() {
        if (bwrap.isEmpty()) {
            return RuntimeProbe.unavailable("bwrap not found on PATH (install the bubblewrap package)");
        }
        if (limiter.isEmpty()) {
            return RuntimeProbe.unavailable(Limiter.UNAVAILABLE);
        }
        try {
            trial(); // why: the first start pays for cold caches and class loading; time the second
            long begin = System.nanoTime();
            ExitStatus status = trial();
            if (!status.success()) {
                return RuntimeProbe.unavailable("trial sandbox running 'true' exited " + status.code());
            }
            return RuntimeProbe.available(Duration.ofNanos(System.nanoTime() - begin),
                    Map.of("bwrap", bwrap.get().toString(), "limits", limiter.get().describe(), "host user",
                            hostUser.describe()));
        } catch (Exception e) {
            return RuntimeProbe.unavailable("trial sandbox failed: " + e.getMessage());
        }
    }

    private ExitStatus trial() throws Exception {
        try (Sandbox trial = create(new SandboxSpec("probe-" + UUID.randomUUID(), null, Resources.defaults(),
                NetworkMode.NONE, List.of()))) {
            return trial.exec(new ProcessSpec(List.of("true"), Map.of(), null), OutputSink.discard())
                    .exit().get(30, TimeUnit.SECONDS);
        }
    }

    /** bwrap with the host's /usr and the same namespaces, but no cgroups, tmpfs limits or /etc files. */
    @Override
    public Optional<List<String>> baselineCommand(String image, List<String> command) {
        if (bwrap.isEmpty() || image != null) {
            return Optional.empty();
        }
        var argv = new java.util.ArrayList<>(List.of(bwrap.get().toString(), "--unshare-all", "--die-with-parent",
                "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--"));
        argv.addAll(command);
        return Optional.of(argv);
    }

    /** A job that names no image runs on the host's files, not in busybox. */
    @Override
    public String imageOf(String named) {
        return named;
    }

    /** A prestarted sandbox waits in its own bwrap, running the launcher (see {@code LauncherScript}). */
    @Override
    public boolean prestarts() {
        return true;
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
        if (bwrap.isEmpty() || limiter.isEmpty()) {
            throw new SandboxException("the process runtime is unavailable: " + probe().reason());
        }
        Optional<String> gone = Programs.goneSinceFound(bwrap.get(), "bubblewrap");
        if (gone.isPresent()) {
            throw new SandboxException("the process runtime is unavailable: " + gone.get());
        }
        if (!capabilities().supports(spec.network())) {
            throw SandboxException.causedByTheJob("the process runtime has no network mode " + spec.network());
        }
        if (!spec.gpus().isEmpty()) {
            throw SandboxException.causedByTheJob("the process runtime cannot pass GPUs through");
        }
        if (spec.image() == null) {
            // why: without an image the job sees the host's /usr, the way a host command would
            return create(spec, null);
        }
        return SandboxImages.makeOn(SandboxImages.hold(images, spec.image(), spec.id()), held -> create(spec, held));
    }

    private BubblewrapSandbox create(SandboxSpec spec, ImageHold image) throws SandboxException {
        try {
            var cgroup = limiter.get().create(spec.id(), spec.resources(), BWRAP_OWN_PROCESSES);
            return new BubblewrapSandbox(spec, image == null ? null : hostUser.reachable(image.image().rootfs()), image,
                    cgroup, new BubblewrapCommand(bwrap.get().toString(), hostUser.startPrefix()));
        } catch (IOException e) {
            throw new SandboxException("could not create the cgroups of sandbox " + spec.id() + ": " + e.getMessage(), e);
        }
    }
}
