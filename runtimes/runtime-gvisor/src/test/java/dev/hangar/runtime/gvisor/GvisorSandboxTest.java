package dev.hangar.runtime.gvisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import dev.hangar.core.json.Json;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.support.Limiter;
import dev.hangar.runtime.support.Programs;
import dev.hangar.runtime.testkit.OutputCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the contract does not look at: what gVisor leaves on the host, the limits' wording, the bundle. */
class GvisorSandboxTest {
    @TempDir
    static Path dataDir;

    private static GvisorRuntime runtime;
    private static RuntimeProbe probe;

    @BeforeAll
    static void probeOnce() {
        runtime = new GvisorRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
        probe = runtime.probe();
        System.out.println("[gvisor] probe: " + probe);
    }

    private static void requireGvisor() {
        assumeTrue(probe.available(), () -> "gvisor unavailable: " + probe.reason());
    }

    private static GvisorSandbox sandbox(Resources resources, NetworkMode network, List<Mount> mounts) throws Exception {
        return (GvisorSandbox) runtime.create(new SandboxSpec("test-" + System.nanoTime(), "busybox", resources,
                network, mounts));
    }

    private static Resources resources(Long memoryMb, Integer pids) {
        return new Resources(null, memoryMb, pids, null, null, null);
    }

    private static ExitStatus await(SandboxProcess process) throws Exception {
        return process.exit().get(60, TimeUnit.SECONDS);
    }

    /** What the exit of {@code command} in {@code sandbox} failed with: a SandboxException, not an exit code. */
    private static SandboxException failureOf(GvisorSandbox sandbox, String... command) throws Exception {
        var out = new OutputCollector();
        SandboxProcess process = sandbox.exec(new ProcessSpec(List.of(command), Map.of(), null), out);
        Throwable failed = catchThrowable(() -> await(process));
        assertThat(failed).as(out.describe()).isInstanceOf(ExecutionException.class).cause().isInstanceOf(SandboxException.class);
        return (SandboxException) failed.getCause();
    }

    private static List<String> leftovers(GvisorSandbox sandbox) throws IOException {
        return Leftovers.of(runtime, sandbox);
    }

    @Test
    void aJobThatEndsByItselfLeavesNothingAfterDestroy() throws Exception {
        requireGvisor();
        GvisorSandbox sandbox = sandbox(Resources.defaults(), NetworkMode.NONE, List.of());
        var out = new OutputCollector();
        ExitStatus status = await(sandbox.exec(new ProcessSpec(List.of("sh", "-c", "echo hi"), Map.of(), null), out));
        assertThat(status.code()).as(out.describe()).isZero();
        assertThat(status.limitsHit()).isEmpty();
        sandbox.destroy();
        assertThat(leftovers(sandbox)).isEmpty();
    }

    @Test
    void runscFailingItselfFailsTheRuntimeNotTheJobAndLeavesNothing() throws Exception {
        requireGvisor();
        // a platform this runsc lacks: it fails before the sandbox boots, as a broken platform or gofer would
        var sandbox = (GvisorSandbox) runtime.create(new SandboxSpec("test-" + System.nanoTime(), "busybox",
                Resources.defaults(), NetworkMode.NONE, List.of()), "hangar-no-such-platform");
        SandboxException failed = failureOf(sandbox, "true");
        assertThat(failed.isCausedByTheJob()).as("the job's fault").isFalse();
        assertThat(failed).hasMessageContaining("runsc failed (exit code 128)").hasMessageContaining("hangar-no-such-platform");
        sandbox.destroy();
        assertThat(leftovers(sandbox)).isEmpty();
    }

    @Test
    void aJobThatExits128ItselfKeepsItsExitCode() throws Exception {
        requireGvisor();
        GvisorSandbox sandbox = sandbox(Resources.defaults(), NetworkMode.NONE, List.of());
        var out = new OutputCollector();
        assertThat(await(sandbox.exec(new ProcessSpec(List.of("sh", "-c", "exit 128"), Map.of(), null), out)).code())
                .as(out.describe()).isEqualTo(128);
        sandbox.destroy();
    }

    @Test
    void aCommandTheImageLacksEndsWith127AndRunscSaysWhyOnItsStderr() throws Exception {
        requireGvisor();
        GvisorSandbox sandbox = sandbox(Resources.defaults(), NetworkMode.NONE, List.of());
        var out = new OutputCollector();
        // it used to fail as the runtime could not start it, where a shell, or a warm sandbox, ends with 127
        assertThat(await(sandbox.exec(new ProcessSpec(List.of("/hangar-no-such-command"), Map.of(), null), out)).code())
                .as(out.describe()).isEqualTo(127);
        assertThat(out.stderrText()).contains("failed to load /hangar-no-such-command: no such file or directory");
        sandbox.destroy();
    }

    @Test
    void aKilledJobLeavesNothingAfterDestroy() throws Exception {
        requireGvisor();
        GvisorSandbox sandbox = sandbox(Resources.defaults(), NetworkMode.NONE, List.of());
        var out = new OutputCollector();
        SandboxProcess process = sandbox.exec(new ProcessSpec(List.of("sh", "-c", "sleep 300 & echo up; wait"),
                Map.of(), null), out);
        assertThat(out.awaitText(OutputSink.Stream.STDOUT, "up\n",
                Duration.ofSeconds(30))).as(out.describe()).isTrue();
        assertThat(GvisorSandbox.stateEntries(runtime.stateRoot(), sandbox.runscId())).as("runsc state while running")
                .isNotEmpty();
        process.kill();
        assertThat(await(process).code()).isEqualTo(137);
        sandbox.destroy();
        assertThat(leftovers(sandbox)).isEmpty();
    }

    @Test
    void destroyingARunningSandboxLeavesNothing() throws Exception {
        requireGvisor();
        GvisorSandbox sandbox = sandbox(Resources.defaults(), NetworkMode.HOST, List.of());
        var out = new OutputCollector();
        SandboxProcess process = sandbox.exec(new ProcessSpec(List.of("sh", "-c", "echo up; sleep 300"), Map.of(), null), out);
        assertThat(out.awaitText(OutputSink.Stream.STDOUT, "up\n",
                Duration.ofSeconds(30))).as(out.describe()).isTrue();
        sandbox.destroy();
        assertThat(process.exit().isDone()).isTrue();
        assertThat(leftovers(sandbox)).isEmpty();
    }

    @Test
    void aReadySandboxDestroyedLeavesNothing() throws Exception {
        requireGvisor();
        GvisorSandbox sandbox = sandbox(Resources.defaults(), NetworkMode.NONE, List.of());
        assertThat(leftovers(sandbox)).as("a READY sandbox has its bundle and cgroups").isNotEmpty();
        sandbox.destroy();
        assertThat(leftovers(sandbox)).isEmpty();
    }

    @Test
    void aSandboxAfterTheFirstStartsFromAParkedLauncherUnderItsOwnLimits() throws Exception {
        requireGvisor();
        assumeTrue(Limiter.detect().orElseThrow() instanceof Limiter.V1, "launchers are parked on cgroup v1 only");
        // the first sandbox takes none and has one parked for the next, in the background
        sandbox(Resources.defaults(), NetworkMode.NONE, List.of()).destroy();
        // why so long: a bound on a slow host's background work, not a figure
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!runtime.launcherReady()) {
            assertThat(System.nanoTime()).as("a launcher parked within 60 s").isLessThan(deadline);
            Thread.sleep(20);
        }
        GvisorSandbox sandbox = sandbox(resources(48L, null), NetworkMode.NONE, List.of());
        Path limit = Limiter.detect().orElseThrow().parents().get(0).resolve("gvisor-" + sandbox.runscId())
                .resolve("memory.limit_in_bytes");
        assertThat(Files.readString(limit).strip()).isEqualTo(Long.toString(48L * 1024 * 1024));
        var out = new OutputCollector();
        ExitStatus status = await(sandbox.exec(new ProcessSpec(List.of("sh", "-c",
                "head -c 200000000 /dev/zero | tail"), Map.of(), null), out));
        assertThat(status.limitsHit()).as(out.describe()).anySatisfy(hit -> assertThat(hit).startsWith("memory limit 48 MiB"));
        assertThat(sandbox.startedParked()).as("runsc started by the parked launcher").isTrue();
        assertThat(sandbox.fifoPremade()).as("the fork log's FIFO came made").isTrue();
        assertThat(Files.exists(runtime.bundles().resolve(sandbox.runscId()).resolve(GvisorSandbox.LOCK_FILE))).isTrue();
        sandbox.destroy();
        assertThat(leftovers(sandbox)).isEmpty();
    }

    @Test
    void limitsHitNameTheJobsLimits() throws Exception {
        requireGvisor();
        try (GvisorSandbox sandbox = sandbox(resources(null, 16), NetworkMode.NONE, List.of())) {
            var out = new OutputCollector();
            ExitStatus status = await(sandbox.exec(new ProcessSpec(List.of("sh", "-c",
                    "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done"), Map.of(), null), out));
            assertThat(status.code()).as(out.describe()).isNotZero();
            assertThat(status.limitsHit()).singleElement().asString()
                    .startsWith("pids limit 16 reached (").endsWith(" forks refused)");
        }
        try (GvisorSandbox sandbox = sandbox(resources(64L, null), NetworkMode.NONE, List.of())) {
            var out = new OutputCollector();
            ExitStatus status = await(sandbox.exec(new ProcessSpec(List.of("sh", "-c",
                    "head -c 200000000 /dev/zero | tail"), Map.of(), null), out));
            assertThat(status.code()).as(out.describe()).isNotZero();
            assertThat(status.limitsHit()).as(out.describe()).anySatisfy(hit -> assertThat(hit).startsWith("memory limit 64 MiB"));
        }
    }

    @Test
    void theJobRunsAsAUidOfNoAccountWithoutCapabilitiesInWork() throws Exception {
        requireGvisor();
        try (GvisorSandbox sandbox = sandbox(Resources.defaults(), NetworkMode.NONE, List.of())) {
            var out = new OutputCollector();
            ExitStatus status = await(sandbox.exec(new ProcessSpec(List.of("sh", "-c",
                    "id -u; pwd; grep CapEff /proc/self/status; ulimit -u; df -k /work | tail -1"), Map.of(), null), out));
            assertThat(status.code()).as(out.describe()).isZero();
            List<String> lines = out.stdoutText().lines().toList();
            assertThat(lines.get(0)).isEqualTo(String.valueOf(OciSpec.SANDBOX_UID));
            assertThat(lines.get(1)).isEqualTo("/work");
            assertThat(lines.get(2)).endsWith("0000000000000000");
            assertThat(lines.get(3)).isEqualTo(String.valueOf(Resources.DEFAULT_PIDS));
            assertThat(lines.get(4)).contains(String.valueOf(Resources.DEFAULT_DISK_MB * 1024));
        }
    }

    @Test
    void aJobsMountPointsAreNotMadeInTheImageOtherJobsShare() throws Exception {
        requireGvisor();
        Path shared = java.nio.file.Files.createTempDirectory(dataDir, "shared");
        String mountPoint = "/hangar-probe-" + System.nanoTime();
        Path rootfs = new LocalImageStore(dataDir.resolve("images")).resolve("busybox").rootfs();
        List<Mount> mounts = List.of(new Mount(shared.toString(), mountPoint + "/in", true));
        try (GvisorSandbox other = sandbox(Resources.defaults(), NetworkMode.NONE, mounts)) {
            try (GvisorSandbox sandbox = sandbox(Resources.defaults(), NetworkMode.NONE, mounts)) {
                var out = new OutputCollector();
                ExitStatus status = await(sandbox.exec(new ProcessSpec(List.of("ls", "-d", mountPoint + "/in"), Map.of(),
                        null), out));
                assertThat(status.code()).as(out.describe()).isZero();
            }
            assertThat(rootfs.resolve(mountPoint.substring(1))).as("another sandbox may still use it").exists();
        }
        assertThat(rootfs.resolve(mountPoint.substring(1))).as("left in the shared image").doesNotExist();
    }

    @Test
    void atStartTheCheckpointsAndMountPointsACrashedProcessLeftAreRemovedAndALiveTemplateIsKept() throws Exception {
        requireGvisor();
        Path data = java.nio.file.Files.createTempDirectory(dataDir, "crashed");
        Path snapshots = data.resolve("gvisor/snapshots");
        Path dead = java.nio.file.Files.createDirectories(snapshots.resolve("snap-dead"));
        java.nio.file.Files.writeString(dead.resolve(GvisorSandbox.LOCK_FILE), "");
        java.nio.file.Files.writeString(dead.resolve(SnapshotManifest.CHECKPOINT), "saved memory");
        Path rootfs = java.nio.file.Files.createDirectories(data.resolve("image/rootfs"));
        Path kept = java.nio.file.Files.writeString(java.nio.file.Files.createDirectories(rootfs.resolve("opt")).resolve("tool"), "x");
        java.nio.file.Files.createDirectories(rootfs.resolve("made/by/gofer"));
        java.nio.file.Files.createFile(rootfs.resolve("made/by/file-bind"));
        Path bundle = java.nio.file.Files.createDirectories(data.resolve("gvisor/bundles/dead-sandbox"));
        java.nio.file.Files.writeString(bundle.resolve(GvisorSandbox.LOCK_FILE), "");
        java.nio.file.Files.writeString(bundle.resolve("mountpoints"), rootfs.resolve("made") + "\n" + rootfs.resolve("opt"));
        try (var live = GvisorSandbox.lockBundle(snapshots.resolve("snap-live"))) {
            new GvisorRuntime(new RuntimeContext(data, new LocalImageStore(data.resolve("images"))));

            assertThat(dead).as("a crashed process's checkpoint").doesNotExist();
            assertThat(snapshots.resolve("snap-live")).as("a template of a process that runs").exists();
        }
        assertThat(bundle).doesNotExist();
        assertThat(rootfs.resolve("made")).as("the mount points it made in the image").doesNotExist();
        assertThat(kept).as("what has content is never a mount point").hasContent("x");
    }

    @Test
    void runscRemovedWhileTheNodeRunsIsTheRuntimesFaultNotTheJobs(@TempDir Path data)
            throws Exception {
        requireGvisor();
        Path runsc = Files.createSymbolicLink(data.resolve("runsc"), Programs.find("runsc").orElseThrow());
        var found = new GvisorRuntime(java.util.Optional.of(runsc), Programs.find("mkfifo"), Limiter.detect(),
                new RuntimeContext(data, new LocalImageStore(data.resolve("images"))));
        Files.delete(runsc); // as apt-get remove runsc would

        // it ran the job's process through a runsc that was not there: exit 127, the job failed as its own command missing
        Throwable refused = catchThrowable(() -> found.create(new SandboxSpec("test-" + System.nanoTime(), "busybox",
                Resources.defaults(), NetworkMode.NONE, List.of())));
        assertThat(refused).isInstanceOfSatisfying(SandboxException.class, e -> {
            assertThat(e.isCausedByTheJob()).isFalse();
            assertThat(e).hasMessageContaining("is gone").hasMessageContaining("install the runsc package");
        });
    }

    @Test
    void theBundleSaysWhatTheSpecAsked() throws Exception {
        var spec = new SandboxSpec("x", "busybox", new Resources(0.5, 128L, 64, 10L, null, null), NetworkMode.NONE,
                List.of(new Mount("/srv/in", "/data/in", true)));
        String json = Json.write(OciSpec.config(spec, Path.of("/images/busybox/rootfs"),
                new ProcessSpec(List.of("echo", "a b"), Map.of("K", "v"), null)));
        var config = Json.mapper().readTree(json);
        assertThat(config.at("/root/path").asText()).isEqualTo("/images/busybox/rootfs");
        assertThat(config.at("/root/readonly").asBoolean()).isTrue();
        assertThat(config.at("/process/user/uid").asInt()).isEqualTo(OciSpec.SANDBOX_UID);
        assertThat(config.at("/process/cwd").asText()).isEqualTo("/work");
        assertThat(config.at("/process/args").toString()).isEqualTo("[\"echo\",\"a b\"]");
        assertThat(config.at("/process/env").toString()).contains("\"K=v\"").contains("\"HOME=/work\"");
        assertThat(config.at("/process/capabilities/bounding").size()).isZero();
        assertThat(config.at("/process/rlimits/0/type").asText()).isEqualTo("RLIMIT_NPROC");
        assertThat(config.at("/process/rlimits/0/hard").asLong()).isEqualTo(64);
        assertThat(config.at("/linux/resources/memory/limit").asLong()).isEqualTo(128L * 1024 * 1024);
        assertThat(config.at("/linux/resources/cpu/quota").asLong()).isEqualTo(50_000);
        assertThat(config.at("/linux/namespaces").toString()).contains("\"network\"");
        assertThat(json).contains("\"destination\":\"/work\"").contains("size=" + 10L * 1024 * 1024)
                .contains("\"source\":\"/srv/in\"");
        var host = new SandboxSpec("x", "busybox", Resources.defaults(), NetworkMode.HOST, List.of());
        String hostJson = Json.write(OciSpec.config(host, Path.of("/r"), new ProcessSpec(List.of("true"), Map.of(), null)));
        assertThat(Json.mapper().readTree(hostJson).at("/linux/namespaces").toString()).doesNotContain("network");
    }

    @Test
    void runscIdsAreSafeAndUnique() {
        String a = GvisorRuntime.runscId("job/42 ü");
        String b = GvisorRuntime.runscId("job/42 ü");
        assertThat(a).matches("[A-Za-z0-9_.+-]+").startsWith("job-42--");
        assertThat(a).isNotEqualTo(b);
        assertThat(GvisorRuntime.runscId("x".repeat(300)).length()).isLessThan(64);
    }
}
