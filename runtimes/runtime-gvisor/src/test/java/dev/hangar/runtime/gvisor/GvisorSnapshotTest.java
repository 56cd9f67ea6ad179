package dev.hangar.runtime.gvisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.Snapshotting.Snapshot;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.testkit.OutputCollector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot templates on real runsc: a template prepared once (a file, a variable, a process left
 * running), restored into many sandboxes, each running one job through its restored launcher.
 */
class GvisorSnapshotTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    /** The prepare step: a file in /work, and a process that keeps running in the background. */
    private static final ProcessSpec PREPARE = new ProcessSpec(List.of("sh", "-c",
            "echo prepared > /work/state; sleep 100000 </dev/null >/dev/null 2>&1 & echo step-done"),
            Map.of("GREETING", "hello from the template"), null);

    @TempDir
    static Path dataDir;

    private static GvisorRuntime runtime;
    private static RuntimeProbe probe;
    private static GvisorSnapshots snapshots;
    /** The template every test restores from, taken once. */
    private static Snapshot prepared;

    @BeforeAll
    static void probeAndSnapshotOnce() throws Exception {
        runtime = new GvisorRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
        probe = runtime.probe();
        System.out.println("[gvisor] probe: " + probe);
        if (probe.available() && runtime.snapshots().isPresent()) {
            snapshots = (GvisorSnapshots) runtime.snapshots().orElseThrow();
            prepared = snapshots.snapshot(runtime.create(spec("template", Resources.defaults())), PREPARE, BOUND);
        }
    }

    private static void requireSnapshots() {
        assumeTrue(probe.available(), () -> "gvisor unavailable: " + probe.reason());
        assumeTrue(snapshots != null, () -> "gvisor snapshots unavailable: " + probe.attributes().get("snapshot"));
    }

    private static SandboxSpec spec(String name, Resources resources) {
        return new SandboxSpec(name + "-" + System.nanoTime(), "busybox", resources, NetworkMode.NONE, List.of());
    }

    private static GvisorSandbox restore(Resources resources) throws SandboxException {
        return (GvisorSandbox) snapshots.restore(prepared, spec("restored", resources));
    }

    private static ExitStatus run(Sandbox sandbox, String script, byte[] stdin, OutputCollector out) throws Exception {
        SandboxProcess process = sandbox.exec(new ProcessSpec(List.of("sh", "-c", script), Map.of(), stdin), out);
        return process.exit().get(BOUND.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void theProbeVerifiedCheckpointAndRestoreAndSaysSo() {
        assumeTrue(probe.available(), () -> "gvisor unavailable: " + probe.reason());
        String said = probe.attributes().get("snapshot");
        assertThat(said).isNotNull();
        // the capability follows the probe's finding, whichever it was
        assertThat(runtime.capabilities().snapshot()).isEqualTo(said.startsWith("checkpoint/restore verified"));
        assertThat(runtime.snapshots().isPresent()).isEqualTo(runtime.capabilities().snapshot());
    }

    @Test
    void everyRestoredSandboxRunsOneJobThroughItsLauncherAndSeesThePreparedState() throws Exception {
        requireSnapshots();
        for (int i = 0; i < 3; i++) {
            try (GvisorSandbox sandbox = restore(Resources.defaults())) {
                assertThat(sandbox.launcherReady()).isTrue();
                var out = new OutputCollector();
                ExitStatus status = run(sandbox, "echo \"$GREETING\"; cat /work/state; ps | grep -c '[s]leep 100000';"
                        + " cat; exit 7", ("stdin " + i).getBytes(StandardCharsets.UTF_8), out);
                assertThat(status.code()).as(out.describe()).isEqualTo(7);
                assertThat(out.stdoutText()).isEqualTo("hello from the template\nprepared\n1\nstdin " + i);
                assertThat(out.stdoutText()).as("the prepare step's own output stays with the template")
                        .doesNotContain("step-done");
                assertThat(sandbox.launcherReady()).isFalse();
                assertThatThrownBy(() -> sandbox.exec(new ProcessSpec(List.of("true"), Map.of(), null), out))
                        .isInstanceOf(SandboxException.class).hasMessageContaining("runs one process");
            }
        }
    }

    @Test
    void restoredSandboxesAreIndependent() throws Exception {
        requireSnapshots();
        try (GvisorSandbox a = restore(Resources.defaults()); GvisorSandbox b = restore(Resources.defaults())) {
            var outA = new OutputCollector();
            assertThat(run(a, "echo from-a > /work/state; echo a > /tmp/only-a; cat /work/state", null, outA).code())
                    .as(outA.describe()).isZero();
            assertThat(outA.stdoutText()).isEqualTo("from-a\n");
            var outB = new OutputCollector();
            assertThat(run(b, "cat /work/state; ls /tmp", null, outB).code()).as(outB.describe()).isZero();
            assertThat(outB.stdoutText()).isEqualTo("prepared\n");
        }
        try (GvisorSandbox later = restore(Resources.defaults())) {
            var out = new OutputCollector();
            assertThat(run(later, "cat /work/state", null, out).code()).as(out.describe()).isZero();
            assertThat(out.stdoutText()).as("the image is unchanged by the jobs restored from it").isEqualTo("prepared\n");
        }
    }

    @Test
    void theSpecsCgroupLimitsHoldAroundARestoredSandbox() throws Exception {
        requireSnapshots();
        try (GvisorSandbox sandbox = restore(new Resources(null, 64L, null, null, null, null))) {
            Path limit = dev.hangar.runtime.support.Limiter.detect().orElseThrow().parents().get(0)
                    .resolve("gvisor-" + sandbox.runscId()).resolve("memory.limit_in_bytes");
            if (Files.exists(limit)) {
                assertThat(Files.readString(limit).strip()).isEqualTo(Long.toString(64L * 1024 * 1024));
            }
            var out = new OutputCollector();
            ExitStatus status = run(sandbox, "head -c 200000000 /dev/zero | tail", null, out);
            assertThat(status.code()).as(out.describe()).isNotZero();
            assertThat(status.limitsHit()).as(out.describe()).anySatisfy(hit -> assertThat(hit).startsWith("memory limit 64 MiB"));
        }
    }

    @Test
    void aRestoredJobsRefusedForksAreCountedAgainstTheTemplatesProcessLimit() throws Exception {
        requireSnapshots();
        var few = new Resources(null, null, 16, null, null, null);
        Snapshot small = snapshots.snapshot(runtime.create(spec("template-pids", few)), null, BOUND);
        try (Sandbox sandbox = snapshots.restore(small, spec("restored-pids", few))) {
            var out = new OutputCollector();
            ExitStatus status = run(sandbox, "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done", null, out);
            assertThat(status.code()).as(out.describe()).isNotZero();
            assertThat(status.limitsHit()).singleElement().asString().startsWith("pids limit 16 reached (");
        } finally {
            snapshots.delete(small);
        }
    }

    @Test
    void destroyingARestoredSandboxLeavesNothing() throws Exception {
        requireSnapshots();
        GvisorSandbox waiting = restore(Resources.defaults());
        GvisorSandbox running = restore(Resources.defaults());
        GvisorSandbox done = restore(Resources.defaults());
        var out = new OutputCollector();
        running.exec(new ProcessSpec(List.of("sh", "-c", "echo up; sleep 300"), Map.of(), null), out);
        assertThat(out.awaitText(OutputSink.Stream.STDOUT, "up\n", BOUND)).as(out.describe()).isTrue();
        assertThat(run(done, "true", null, new OutputCollector()).code()).isZero();
        for (GvisorSandbox sandbox : List.of(waiting, running, done)) {
            sandbox.destroy();
            assertThat(Leftovers.of(runtime, sandbox)).isEmpty();
        }
        assertThat(Files.isRegularFile(Path.of(prepared.location()).resolve(SnapshotManifest.CHECKPOINT)))
                .as("destroying restored sandboxes keeps the snapshot").isTrue();
    }

    @Test
    void aTemplateWhosePrepareStepFailsGivesNoSnapshotAndLeavesNothing() throws Exception {
        requireSnapshots();
        GvisorSandbox template = (GvisorSandbox) runtime.create(spec("template-fails", Resources.defaults()));
        assertThatThrownBy(() -> snapshots.snapshot(template, new ProcessSpec(List.of("sh", "-c",
                "echo cannot prepare >&2; exit 3"), Map.of(), null), BOUND))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("the prepare step failed (exit 3)").hasMessageContaining("cannot prepare");
        assertThat(Leftovers.of(runtime, template)).isEmpty();
        try (Stream<Path> images = Files.list(Path.of(prepared.location()).getParent())) {
            assertThat(images.map(p -> p.getFileName().toString()).toList()).containsExactly(prepared.id());
        }
    }

    @Test
    void aPrestartedOrForeignSandboxIsNoTemplate() throws Exception {
        requireSnapshots();
        Sandbox prestarted = runtime.create(spec("prestarted", Resources.defaults()));
        prestarted.prestart();
        assertThatThrownBy(() -> snapshots.snapshot(prestarted))
                .isInstanceOf(SandboxException.class).hasMessageContaining("was not prestarted");
        assertThatThrownBy(() -> snapshots.snapshot(null)).isInstanceOf(SandboxException.class)
                .hasMessageStartingWith("sandbox: null");
    }

    @Test
    void restoringAMissingOrCorruptImageFailsClearly() throws Exception {
        requireSnapshots();
        Path original = Path.of(prepared.location());
        Path home = original.getParent();

        var missing = new Snapshot("snap-gone", GvisorRuntime.NAME, home.resolve("snap-gone").toString());
        assertThatThrownBy(() -> snapshots.restore(missing, spec("r", Resources.defaults())))
                .isInstanceOf(SandboxException.class).hasMessageContaining("snap-gone").hasMessageContaining("is missing");

        Path copy = home.resolve("snap-corrupt");
        Files.createDirectories(copy);
        for (String file : List.of(SnapshotManifest.CHECKPOINT, SnapshotManifest.FILE)) {
            Files.copy(original.resolve(file), copy.resolve(file));
        }
        try (var channel = Files.newByteChannel(copy.resolve(SnapshotManifest.CHECKPOINT), StandardOpenOption.WRITE)) {
            channel.position(1000).write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
        }
        var corrupt = new Snapshot("snap-corrupt", GvisorRuntime.NAME, copy.toString());
        List<String> before = bundles();
        assertThatThrownBy(() -> snapshots.restore(corrupt, spec("r", Resources.defaults())))
                .isInstanceOf(SandboxException.class).hasMessageContaining("is corrupt");
        assertThat(bundles()).as("no sandbox was made").isEqualTo(before);
        snapshots.delete(corrupt);

        Path noKernel = home.resolve("snap-no-kernel");
        Files.createDirectories(noKernel);
        Files.copy(original.resolve(SnapshotManifest.CHECKPOINT), noKernel.resolve(SnapshotManifest.CHECKPOINT));
        var manifest = (com.fasterxml.jackson.databind.node.ObjectNode) dev.hangar.core.json.Json.mapper()
                .readTree(original.resolve(SnapshotManifest.FILE).toFile());
        manifest.remove("kernel");
        Files.writeString(noKernel.resolve(SnapshotManifest.FILE), manifest.toString());
        var unreadable = new Snapshot("snap-no-kernel", GvisorRuntime.NAME, noKernel.toString());
        assertThatThrownBy(() -> snapshots.restore(unreadable, spec("r", Resources.defaults())))
                .isInstanceOf(SandboxException.class).hasMessageContaining("kernel is missing");
        snapshots.delete(unreadable);

        assertThatThrownBy(() -> snapshots.restore(new Snapshot("x", "podman", original.toString()),
                spec("r", Resources.defaults()))).isInstanceOf(SandboxException.class)
                .hasMessageStartingWith("snapshot.runtime: podman");
        assertThatThrownBy(() -> snapshots.restore(new Snapshot("x", GvisorRuntime.NAME, "/etc"),
                spec("r", Resources.defaults()))).isInstanceOf(SandboxException.class)
                .hasMessageStartingWith("snapshot.location: /etc is not under");
    }

    @Test
    void aSpecTheSavedKernelCannotHonourIsRefusedNamingTheField() throws Exception {
        requireSnapshots();
        assertThatThrownBy(() -> snapshots.restore(prepared, spec("r", new Resources(null, null, 32, null, null, null))))
                .isInstanceOf(SandboxException.class).hasMessageContaining("spec.resources.pids: 32 differs");
        assertThatThrownBy(() -> snapshots.restore(prepared, new SandboxSpec("r", "busybox", Resources.defaults(),
                NetworkMode.HOST, List.of()))).isInstanceOf(SandboxException.class)
                .hasMessageContaining("spec.network: HOST differs");
        assertThatThrownBy(() -> snapshots.restore(prepared, spec("r", new Resources(null, null, null, 10L, null, null))))
                .isInstanceOf(SandboxException.class).hasMessageContaining("spec.resources.diskMb: 10 differs");
    }

    @Test
    void aSnapshotOfAnImageMadeAgainSinceIsNotRestoredOnTheNewOne() throws Exception {
        requireSnapshots();
        var images = new LocalImageStore(dataDir.resolve("images"));
        Path busybox = images.resolve("busybox").rootfs();
        images.importRootfs("made-again", busybox);
        SandboxSpec template = new SandboxSpec("template-again-" + System.nanoTime(), "made-again", Resources.defaults(),
                NetworkMode.NONE, List.of());
        Snapshot snapshot = snapshots.snapshot(runtime.create(template), PREPARE, BOUND);
        try {
            assertThat(images.remove("made-again")).isTrue();
            images.importRootfs("made-again", busybox);
            SandboxSpec restored = new SandboxSpec("restored-again-" + System.nanoTime(), "made-again",
                    Resources.defaults(), NetworkMode.NONE, List.of());

            assertThatThrownBy(() -> snapshots.restore(snapshot, restored)).isInstanceOf(SandboxException.class)
                    .hasMessageContaining("spec.image: made-again was made again since the snapshot was taken");
            assertThat(bundles()).as("nothing of the refused sandbox left").noneMatch(b -> b.contains("restored-again"));
        } finally {
            snapshots.delete(snapshot);
            images.remove("made-again");
        }
    }

    private static List<String> bundles() throws Exception {
        var names = new ArrayList<String>();
        try (Stream<Path> dirs = Files.list(runtime.bundles())) {
            dirs.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("pool-")).sorted().forEach(names::add);
        }
        return names;
    }
}
