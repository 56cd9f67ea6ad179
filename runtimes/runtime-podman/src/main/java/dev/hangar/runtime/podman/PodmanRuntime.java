package dev.hangar.runtime.podman;

import com.fasterxml.jackson.databind.JsonNode;
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
import dev.hangar.core.runtime.SandboxState;
import dev.hangar.core.runtime.Threading;
import dev.hangar.runtime.support.EngineCgroup;
import dev.hangar.runtime.support.MountTargets;
import dev.hangar.runtime.support.OwningProcess;
import dev.hangar.runtime.support.Programs;
import dev.hangar.runtime.support.SandboxImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code podman} runtime: each sandbox a rootful Podman container run by runc, driven through
 * the libpod REST API of a {@code podman system service} the driver starts on a Unix socket of its
 * own. The container has a read-only image root, tmpfs /tmp and /work, no capabilities, no new
 * privileges, a user of no account ({@link dev.hangar.runtime.support.HostUser#containerJobsId}), memory (no
 * swap), CPU and pids limits, and no network unless asked.
 *
 * <p>A sandbox is a container whose first process only waits (catatonit -P), so that its cgroup,
 * and the pids and memory counters in it, outlive the job's process, which is an exec session:
 * Podman removes a container's cgroup as soon as its first process exits, and with it the only
 * record of a refused fork. Exit codes come from the {@code exec_died} event.
 *
 * <p>Why the API and not one {@code podman} process per call: it is faster in either model
 * (PodmanTransportBench, busybox {@code true}, 20 interleaved runs, p50, on the 2-core CI host):
 * this driver's create-exec-exit 185 ms (228 ms with the removal destroy() waits for) against
 * 374 ms for the same through {@code podman run -d}, {@code exec}, {@code rm}; a plain
 * {@code podman run --rm} took 129 ms against 116 ms for the same through the API. Each CLI call
 * pays Podman's own start-up (storage, locks, config) again.
 */
public final class PodmanRuntime implements SandboxRuntime, AutoCloseable {
    public static final String NAME = "podman";

    private static final Logger LOG = LoggerFactory.getLogger(PodmanRuntime.class);
    private static final RuntimeCapabilities CAPABILITIES = new RuntimeCapabilities(Isolation.NAMESPACE,
            BootClass.FAST, 6, Threading.NATIVE, true, true, true, false, false, false, false,
            Set.of(NetworkMode.NONE, NetworkMode.HOST, NetworkMode.BRIDGE));
    /** A Unix socket path must fit in sun_path (108 bytes with its terminator). */
    private static final int SOCKET_PATH_MAX = 100;

    private final Optional<Path> podman;
    private final Optional<Path> runc;
    private final Optional<Path> catatonit;
    private final ImageStore store;
    private final PodmanService service;
    private final Libpod api;
    private final PodmanImages images;
    private final String owner = OwningProcess.current().label();
    private final Set<PodmanSandbox> live = ConcurrentHashMap.newKeySet();
    private final Thread shutdownHook = new Thread(this::atJvmShutdown, "podman-runtime-shutdown");
    /**
     * How long the JVM's end waits for the jobs' processes to be stopped by their owner (an agent stopping) before
     * their sandboxes are destroyed here: the agent's own stop waits up to 30 s for its jobs.
     */
    static final Duration OWNERS_STOP_WAIT = Duration.ofSeconds(45);
    private boolean started;
    private boolean closed;
    /** Sandboxes being made now: the close waits for them, as the one that ends after it removes its container. */
    private int creating;
    private int leftoversRemoved;

    public PodmanRuntime(RuntimeContext context) {
        this(Programs.find("podman"), Programs.find("runc"), Programs.catatonit(), context);
    }

    PodmanRuntime(Optional<Path> podman, Optional<Path> runc, Optional<Path> catatonit, RuntimeContext context) {
        this.podman = podman;
        this.runc = runc;
        this.catatonit = catatonit;
        this.store = context.images();
        Path dir = context.dataDir().resolve("podman").toAbsolutePath();
        this.service = podman.map(p -> new PodmanService(p, dir, socketPath(dir))).orElse(null);
        this.api = service == null ? null : new Libpod(service);
        this.images = service == null ? null : new PodmanImages(store, api);
    }

    /** dataDir/podman/podman.sock, or a short path under /tmp named after it when that is too long. */
    static Path socketPath(Path dir) {
        Path socket = dir.resolve("podman.sock");
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length <= SOCKET_PATH_MAX) {
            return socket;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(dir.toString().getBytes(StandardCharsets.UTF_8));
            return Path.of(System.getProperty("java.io.tmpdir"),
                    "hangar-podman-" + HexFormat.of().formatHex(digest, 0, 8) + ".sock");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "rootful Podman container run by runc: namespaces, seccomp, no capabilities, cgroup limits";
    }

    @Override
    public RuntimeCapabilities capabilities() {
        return CAPABILITIES;
    }

    /** Why this host cannot run the runtime at all, if it cannot. */
    private Optional<String> missing() {
        if (podman.isEmpty()) {
            return Optional.of("podman not found: apt-get install podman runc");
        }
        if (runc.isEmpty()) {
            return Optional.of("runc not found (crun fails on this kind of host): apt-get install runc");
        }
        if (catatonit.isEmpty()) {
            return Optional.of("catatonit not found (each container's first process): apt-get install catatonit");
        }
        return Optional.empty();
    }

    /** Starts the service and removes leftovers of dead JVMs, once; afterwards calls restart a dead service. */
    private synchronized void ready() throws IOException {
        if (closed) {
            throw new IOException("the podman runtime was closed");
        }
        if (!started) {
            service.ensureRunning();
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            started = true;
            leftoversRemoved = sweepLeftovers();
        }
    }

    @Override
    public RuntimeProbe probe() {
        Optional<String> missing = missing();
        if (missing.isPresent()) {
            return RuntimeProbe.unavailable(missing.get());
        }
        var attributes = new LinkedHashMap<String, String>();
        try {
            ready();
            String conf = Files.readString(service.conf());
            if (!conf.contains("default_ulimits = []") || !conf.contains("runtime = \"runc\"")) {
                return RuntimeProbe.unavailable("containers.conf " + service.conf() + " lacks the runc and ulimits settings");
            }
            JsonNode info = api.info();
            if (info.path("host").path("security").path("rootless").asBoolean(false)
                    && "v1".equals(info.path("host").path("cgroupVersion").asText())) {
                return RuntimeProbe.unavailable("a rootless Podman on cgroup v1 runs containers without any resource"
                        + " limit: run the agent as root, or on a host with cgroup v2");
            }
            attributes.put("podman", podman.get() + " " + info.path("version").path("Version").asText());
            attributes.put("ociRuntime", runc.get().toString());
            attributes.put("cgroups", info.path("host").path("cgroupVersion").asText() + " ("
                    + info.path("host").path("cgroupManager").asText() + ")");
            attributes.put("containersConf", service.conf().toString());
            attributes.put("transport", "libpod REST API on " + service.http().socket());
            attributes.put("leftoversRemoved", Integer.toString(leftoversRemoved));
        } catch (IOException e) {
            return RuntimeProbe.unavailable("podman system service did not start: " + e.getMessage());
        }
        try {
            // why: importing the image happens once; it is not part of a sandbox's start
            images.ensure(ImageStore.DEFAULT_IMAGE);
        } catch (IOException | RuntimeException e) {
            return RuntimeProbe.unavailable("image " + ImageStore.DEFAULT_IMAGE + " could not be put in Podman's store: "
                    + e.getMessage());
        }
        images.removeTagsOfGoneStores();
        long begin = System.nanoTime();
        try (Sandbox trial = create(new SandboxSpec("probe-" + UUID.randomUUID(), null, Resources.defaults(),
                NetworkMode.NONE, List.of()))) {
            ExitStatus status = trial.exec(new ProcessSpec(List.of("true"), Map.of(), null), OutputSink.discard())
                    .exit().get(60, TimeUnit.SECONDS);
            if (!status.success()) {
                return RuntimeProbe.unavailable("trial container running 'true' exited " + status.code());
            }
        } catch (Exception e) {
            return RuntimeProbe.unavailable("trial container failed: " + e.getMessage());
        }
        return RuntimeProbe.available(Duration.ofNanos(System.nanoTime() - begin), attributes);
    }

    /**
     * {@code podman run --rm} of the same image with no network, through the driver's containers.conf
     * (runc fails here under Podman's default ulimits without it). The image is in Podman's store
     * once a sandbox has been made from it.
     */
    @Override
    public Optional<List<String>> baselineCommand(String image, List<String> command) {
        if (missing().isPresent()) {
            return Optional.empty();
        }
        try {
            String reference = images.reference(store.resolve(imageOf(image)));
            var argv = new ArrayList<>(List.of("env", "CONTAINERS_CONF=" + service.conf(), podman.get().toString(),
                    "run", "--rm", "--network", "none", reference));
            argv.addAll(command);
            return Optional.of(argv);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A prestarted sandbox's launcher is an exec session in its container, its stdin attached (see
     * {@code LauncherScript}): the job starts with no API call and no runc command.
     */
    @Override
    public boolean prestarts() {
        return true;
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
        Optional<String> missing = missing();
        if (missing.isPresent()) {
            throw new SandboxException("the podman runtime is unavailable: " + missing.get());
        }
        if (!CAPABILITIES.supports(spec.network())) {
            throw SandboxException.causedByTheJob("the podman runtime has no network mode " + spec.network());
        }
        String image = imageOf(spec.image());
        // why held though Podman runs a copy: an image a job runs in is never removed under it, whatever its runtime
        return SandboxImages.makeOn(SandboxImages.hold(store, image, spec.id()), held -> create(spec, image, held));
    }

    private PodmanSandbox create(SandboxSpec spec, String image, ImageHold held) throws SandboxException {
        String containerId = null;
        synchronized (this) {
            try {
                ready();
            } catch (IOException e) {
                throw new SandboxException("could not create podman sandbox " + spec.id() + ": " + e.getMessage(), e);
            }
            creating++;
        }
        try {
            Instant createdAt = Instant.now();
            if (!spec.mounts().isEmpty()) {
                MountTargets.check(held.image().rootfs(), image, spec.mounts());
            }
            String reference = images.ensure(held.image());
            try {
                containerId = api.createContainer(containerBody(spec, reference));
            } catch (Libpod.ApiError e) {
                // why asked: someone removed the image from Podman's store since this driver imported it, before
                // the create (a 404) or while it resolved the name (an error of another kind)
                boolean there;
                try {
                    there = api.imageExists(reference);
                } catch (IOException asked) {
                    e.addSuppressed(asked);
                    throw e;
                }
                if (there) {
                    throw e;
                }
                images.forget(reference);
                reference = images.ensure(held.image());
                containerId = api.createContainer(containerBody(spec, reference));
            }
            api.startContainer(containerId);
            String cgroupPath = api.inspectContainer(containerId).path("State").path("CgroupPath").asText("");
            synchronized (this) {
                if (closed) { // why: no one would destroy it now, and its container would run on past the JVM
                    throw new IOException("the podman runtime was closed while the sandbox was made");
                }
                var sandbox = new PodmanSandbox(this, api, spec, containerId,
                        EngineCgroup.of(cgroupPath, spec.resources()), createdAt, held);
                live.add(sandbox);
                return sandbox;
            }
        } catch (IllegalArgumentException e) {
            if (containerId == null) { // a setting of the job that podman cannot take
                throw SandboxException.causedByTheJob(e.getMessage(), e);
            }
            removeQuietly(containerId);
            throw new SandboxException("could not create podman sandbox " + spec.id() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            if (containerId != null) {
                removeQuietly(containerId);
            }
            throw new SandboxException("could not create podman sandbox " + spec.id() + ": " + e.getMessage(), e);
        } finally {
            synchronized (this) {
                creating--;
                notifyAll();
            }
        }
    }

    private Map<String, Object> containerBody(SandboxSpec spec, String reference) throws SandboxException {
        return ContainerSpec.container(spec, reference, catatonit.get().toString(), owner,
                device -> Files.exists(Path.of(device)));
    }

    void forget(PodmanSandbox sandbox) {
        live.remove(sandbox);
    }

    private void removeQuietly(String containerId) {
        try {
            api.removeContainer(containerId);
        } catch (IOException e) {
            LOG.warn("could not remove container {}: {}", containerId, e.getMessage());
        }
    }

    /**
     * Removes containers left by a JVM that is gone (killed before it could remove them), running or
     * not: their label names the JVM by pid and start time. Containers of live JVMs (other nodes on
     * this host) stay, and so do labelled containers without an owner that still run.
     */
    private int sweepLeftovers() {
        int removed = 0;
        try {
            for (JsonNode container : api.listContainers(ContainerSpec.SANDBOX_LABEL)) {
                String owner = container.path("Labels").path(ContainerSpec.OWNER_LABEL).asText("");
                boolean running = "running".equals(container.path("State").asText());
                if (owner.isEmpty() ? !running : OwningProcess.gone(owner)) {
                    String id = container.path("Id").asText();
                    LOG.info("removing leftover container {} of sandbox {}", id,
                            container.path("Labels").path(ContainerSpec.SANDBOX_LABEL).asText());
                    removeQuietly(id);
                    removed++;
                }
            }
        } catch (IOException e) {
            LOG.warn("could not look for leftover containers: {}", e.getMessage());
        }
        return removed;
    }

    /** The service's pid while it runs (tests kill it to see it come back). */
    Optional<Long> servicePid() {
        return service == null ? Optional.empty() : service.pid();
    }

    /**
     * At the JVM's end, whose shutdown hooks run all at once: an agent's stops its jobs, gives their leases back and
     * destroys their sandboxes, through this runtime's service. Destroying them here first ended each job as a
     * process killed (FAILED, exit 137, an attempt used) rather than handed back; stopping the service failed the
     * agent's own calls. So while a job's process runs, it is left to its owner for a while; then what is left is
     * destroyed. (Sandboxes without one, a pool's, do not hold the JVM's end.)
     */
    void atJvmShutdown() {
        long deadline = System.nanoTime() + OWNERS_STOP_WAIT.toNanos();
        while (live.stream().anyMatch(sandbox -> sandbox.state() == SandboxState.RUNNING)
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        shutDown();
    }

    /** Destroys the sandboxes still alive, then stops the service. Runs at JVM shutdown too. */
    private void shutDown() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        var destroying = new ArrayList<CompletableFuture<Void>>();
        for (PodmanSandbox sandbox : List.copyOf(live)) {
            destroying.add(CompletableFuture.runAsync(sandbox::destroy, command -> Thread.ofVirtual().start(command)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try {
            CompletableFuture.allOf(destroying.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("sandboxes still being destroyed at shutdown: {}", e.getMessage());
        }
        awaitCreates(deadline);
        if (service != null) {
            service.close();
        }
    }

    /** Waits, until the deadline, for the sandboxes being made to end: each removes its container through the service. */
    private synchronized void awaitCreates(long deadline) {
        long left;
        while (creating > 0 && (left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (creating > 0) {
            LOG.warn("{} sandboxes still being made at shutdown: their containers go when a node next starts here",
                    creating);
        }
    }

    @Override
    public void close() {
        shutDown();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException ignored) {
            // shutting down already, or never started
        }
    }
}
