package dev.hangar.agent;

import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.SandboxState;
import dev.hangar.core.runtime.Snapshotting;
import dev.hangar.core.runtime.Threading;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test double of a runtime whose sandboxes start ahead of a job: nothing is isolated, nothing
 * runs. {@code echo ARGS} prints ARGS, {@code false} exits 1, {@code block} runs until killed, {@code unkillable} until its sandbox is destroyed,
 * {@code lost} ends without the runtime knowing how, anything else exits 0. It records every sandbox and how many processes each started, and can
 * "kill" a launcher from outside.
 */
public final class FakePrestartingRuntime implements SandboxRuntime {
    public static final String NAME = "fake";

    private final List<FakeSandbox> sandboxes = new CopyOnWriteArrayList<>();
    private final AtomicInteger sequence = new AtomicInteger();
    private final AtomicInteger creates = new AtomicInteger();
    private volatile boolean failing;
    private volatile String failingImage;
    private volatile Snapshotting snapshotting;
    private volatile boolean imageMissing;
    private volatile long memoryFloorMb;
    /** Whether a prestarted sandbox's exec fails, as when its launcher died between take and exec. */
    private volatile boolean launchersDieOnExec;
    private volatile java.util.concurrent.CountDownLatch gate;
    private final Set<NetworkMode> networkModes;

    /** A runtime that gives its sandboxes no network. */
    public FakePrestartingRuntime() {
        this(Set.of(NetworkMode.NONE));
    }

    public FakePrestartingRuntime(Set<NetworkMode> networkModes) {
        this.networkModes = Set.copyOf(networkModes);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "test double: a runtime that runs nothing";
    }

    @Override
    public RuntimeCapabilities capabilities() {
        return new RuntimeCapabilities(Isolation.PROCESS, BootClass.FAST, memoryFloorMb, Threading.NATIVE, true, true, false, false,
                false, false, false, networkModes);
    }

    @Override
    public RuntimeProbe probe() {
        return RuntimeProbe.available(Duration.ofMillis(5), Map.of());
    }

    @Override
    public boolean prestarts() {
        return true;
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws SandboxException {
        creates.incrementAndGet();
        java.util.concurrent.CountDownLatch held = gate;
        if (held != null) {
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("interrupted while held");
            }
        }
        if (failing || spec.image() != null && spec.image().equals(failingImage)) {
            throw new SandboxException("fake runtime told to fail");
        }
        if (imageMissing) {
            throw SandboxException.causedByTheJob("no such image", new dev.hangar.core.image.ImageNotFoundException(
                    String.valueOf(spec.image()), List.of()));
        }
        var sandbox = new FakeSandbox(spec.id() + "#" + sequence.incrementAndGet(), spec, () -> launchersDieOnExec);
        sandboxes.add(sandbox);
        return sandbox;
    }

    /** The least memory the runtime says a job needs (0 unless set). */
    public void memoryFloorMb(long mb) {
        memoryFloorMb = mb;
    }

    /** Makes every create fail (true) or work again (false). */
    public void failCreates(boolean value) {
        failing = value;
    }

    /** Makes this runtime snapshot sandboxes with {@code snapshots} (null: it cannot). */
    public void snapshotWith(Snapshotting snapshots) {
        snapshotting = snapshots;
    }

    @Override
    public Optional<Snapshotting> snapshots() {
        return Optional.ofNullable(snapshotting);
    }

    /** Makes every create of this image fail (null: none). */
    public void failCreatesOf(String image) {
        failingImage = image;
    }

    /** Makes every create fail as a runtime does for a job whose image this node lacks (true), or work again. */
    public void failCreatesForAMissingImage(boolean value) {
        imageMissing = value;
    }

    /** Makes the exec of every prestarted sandbox fail as if its launcher had died after the take (true), or not. */
    public void killLaunchersOnExec(boolean value) {
        launchersDieOnExec = value;
    }

    /** Makes creates wait until {@link #releaseCreates()}. */
    public void holdCreates() {
        gate = new java.util.concurrent.CountDownLatch(1);
    }

    public void releaseCreates() {
        java.util.concurrent.CountDownLatch held = gate;
        gate = null;
        if (held != null) {
            held.countDown();
        }
    }

    /** Calls of {@link #create}, failed ones too. */
    public int creates() {
        return creates.get();
    }

    public List<FakeSandbox> sandboxes() {
        return List.copyOf(sandboxes);
    }

    public FakeSandbox sandbox(String id) {
        return sandboxes.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    /** Sandboxes made and not destroyed yet. */
    public long alive() {
        return sandboxes.stream().filter(s -> !s.destroyed.get()).count();
    }

    public static final class FakeSandbox implements Sandbox {
        private final String id;
        private final SandboxSpec spec;
        private final Instant createdAt = Instant.now();
        private final AtomicBoolean launcher = new AtomicBoolean();
        private final AtomicBoolean destroyed = new AtomicBoolean();
        private final AtomicInteger execs = new AtomicInteger();
        /** Its processes' ends: destroying a sandbox ends what runs in it. */
        private final List<CompletableFuture<ExitStatus>> running = new CopyOnWriteArrayList<>();
        private final java.util.function.BooleanSupplier launcherDiesOnExec;

        FakeSandbox(String id, SandboxSpec spec, java.util.function.BooleanSupplier launcherDiesOnExec) {
            this.id = id;
            this.spec = spec;
            this.launcherDiesOnExec = launcherDiesOnExec;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public String runtime() {
            return NAME;
        }

        @Override
        public SandboxState state() {
            return destroyed.get() ? SandboxState.STOPPED : SandboxState.READY;
        }

        @Override
        public Instant createdAt() {
            return createdAt;
        }

        public SandboxSpec spec() {
            return spec;
        }

        @Override
        public void prestart() {
            launcher.set(true);
        }

        @Override
        public boolean launcherReady() {
            return launcher.get() && execs.get() == 0 && !destroyed.get();
        }

        /** As if someone killed the launcher process from outside. */
        public void killLauncher() {
            launcher.set(false);
        }

        public int execs() {
            return execs.get();
        }

        public boolean destroyed() {
            return destroyed.get();
        }

        @Override
        public SandboxProcess exec(ProcessSpec process, OutputSink sink) throws SandboxException {
            if (destroyed.get()) {
                throw new SandboxException("sandbox " + id + " is destroyed");
            }
            if (launcher.get() && launcherDiesOnExec.getAsBoolean()) {
                throw new SandboxException("the launcher of sandbox " + id + " died");
            }
            if (execs.incrementAndGet() > 1) {
                throw new SandboxException("sandbox " + id + " already served a job");
            }
            List<String> command = process.command();
            var exit = new CompletableFuture<ExitStatus>();
            running.add(exit);
            switch (command.getFirst()) {
                case "echo" -> {
                    byte[] out = (String.join(" ", command.subList(1, command.size())) + "\n").getBytes(StandardCharsets.UTF_8);
                    sink.write(OutputSink.Stream.STDOUT, out, 0, out.length);
                    exit.complete(new ExitStatus(0, List.of()));
                }
                case "false" -> exit.complete(new ExitStatus(1, List.of()));
                case "block", "lost-when-killed", "unkillable", "exited-told-late" -> {
                    if (command.size() > 1) { // what a blocking job says before it blocks
                        byte[] out = String.join(" ", command.subList(1, command.size())).getBytes(StandardCharsets.UTF_8);
                        sink.write(OutputSink.Stream.STDOUT, out, 0, out.length);
                    }
                }
                // as Podman's driver does when its service goes away under a running job
                case "lost" -> exit.completeExceptionally(new SandboxException("the fake runtime lost track of the process"));
                default -> exit.complete(new ExitStatus(0, List.of()));
            }
            return new SandboxProcess() {
                @Override
                public CompletableFuture<ExitStatus> exit() {
                    return exit;
                }

                @Override
                public void kill() {
                    if (command.getFirst().equals("unkillable")) {
                        return; // as a process stuck in the kernel, or a runtime whose kill hangs: its sandbox's end ends it
                    }
                    if (command.getFirst().equals("exited-told-late")) {
                        // as a process that exited 0 whose exit the runtime tells once its last output is stored
                        exit.complete(new ExitStatus(0, List.of()));
                    }
                    if (command.getFirst().equals("lost-when-killed")) {
                        // as Podman's driver does when its service restarts as it kills the process
                        exit.completeExceptionally(new SandboxException("the fake runtime lost track of the killed process"));
                    }
                    exit.complete(new ExitStatus(137, List.of()));
                }
            };
        }

        /** Whether every process started in it has ended (one killed, say). */
        public boolean processesEnded() {
            return running.stream().allMatch(CompletableFuture::isDone);
        }

        /** Ends the processes running in it (a "block" job's, say) with this exit code, as if they finished. */
        public void finishRunning(int code) {
            running.forEach(exit -> exit.complete(new ExitStatus(code, List.of())));
        }

        @Override
        public void destroy() {
            destroyed.set(true);
            launcher.set(false);
            running.forEach(exit -> exit.complete(new ExitStatus(137, List.of())));
        }
    }
}
