package dev.hangar.runtime.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.support.OwningProcess;
import dev.hangar.runtime.testkit.OutputCollector;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** What the contract does not pin down: Podman's own leftovers, the service's supervision, limits wording, mounts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PodmanRuntimeTest {
    @TempDir
    static Path dataDir;

    private LocalImageStore store;
    private PodmanRuntime runtime;
    private RuntimeProbe probe;

    @BeforeAll
    void start() {
        store = new LocalImageStore(dataDir.resolve("images"));
        runtime = new PodmanRuntime(new RuntimeContext(dataDir, store));
        probe = runtime.probe();
    }

    @AfterAll
    void stop() {
        runtime.close();
    }

    private void requireAvailable() {
        assumeTrue(probe.available(), () -> "podman is not available here: " + probe.reason());
    }

    private static String newId() {
        return "podman-test-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 10);
    }

    private static ProcessSpec sh(String script) {
        return new ProcessSpec(List.of("sh", "-c", script), Map.of(), null);
    }

    private record Result(ExitStatus status, OutputCollector output) {}

    private Result run(Resources resources, NetworkMode network, List<Mount> mounts, ProcessSpec process) throws Exception {
        try (Sandbox sandbox = runtime.create(new SandboxSpec(newId(), "busybox", resources, network, mounts))) {
            var output = new OutputCollector();
            ExitStatus status = sandbox.exec(process, output).exit().get(60, TimeUnit.SECONDS);
            return new Result(status, output);
        }
    }

    private Result run(ProcessSpec process) throws Exception {
        return run(Resources.defaults(), NetworkMode.NONE, List.of(), process);
    }

    /** Host processes whose command line mentions {@code text}, as "pid: command line". */
    private static List<String> hostProcessesWith(String text) throws IOException {
        var found = new ArrayList<String>();
        try (var dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path dir : dirs) {
                try {
                    String cmdline = new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (cmdline.contains(text)) {
                        found.add(dir.getFileName() + ": " + cmdline);
                    }
                } catch (IOException gone) {
                    // ended while we looked
                }
            }
        }
        return found;
    }

    @Test
    void probeSaysWhatRanAndHow() {
        requireAvailable();
        assertThat(probe.attributes()).containsKeys("podman", "ociRuntime", "cgroups", "containersConf", "transport");
        assertThat(probe.attributes().get("transport")).startsWith("libpod REST API on ");
    }

    @Test
    void theServicesLogIsMovedAsideAtAStartOnceItIsBigSoMonthsOfStartsDoNotFillTheDisk() throws Exception {
        requireAvailable();
        Path dir = dataDir.resolve("rolled");
        Path log = Files.createDirectories(dir.resolve("podman")).resolve("service.log");
        byte[] old = new byte[(int) PodmanService.LOG_ROLLS_AT + 1];
        java.util.Arrays.fill(old, (byte) 'x');
        Files.write(log, old);

        try (var rolled = new PodmanRuntime(new RuntimeContext(dir, store))) {
            assertThat(rolled.probe().available()).isTrue();
        }

        assertThat(Files.size(dir.resolve("podman/service.log.1"))).isEqualTo(old.length);
        assertThat(Files.size(log)).isLessThan(PodmanService.LOG_ROLLS_AT);
    }

    @Test
    void probeNamesWhatToInstallWhenPodmanOrRuncIsMissing() {
        var context = new RuntimeContext(dataDir.resolve("missing"), store);
        RuntimeProbe noPodman = new PodmanRuntime(Optional.empty(), Optional.of(Path.of("/usr/bin/runc")),
                Optional.of(Path.of("/usr/bin/catatonit")), context).probe();
        assertThat(noPodman.available()).isFalse();
        assertThat(noPodman.reason()).isEqualTo("podman not found: apt-get install podman runc");
        RuntimeProbe noRunc = new PodmanRuntime(Optional.of(Path.of("/usr/bin/podman")), Optional.empty(),
                Optional.of(Path.of("/usr/bin/catatonit")), context).probe();
        assertThat(noRunc.available()).isFalse();
        assertThat(noRunc.reason()).contains("runc not found").contains("apt-get install runc");
    }

    @Test
    void memoryLimitIsReportedAsAnOomKill() throws Exception {
        requireAvailable();
        Result run = run(new Resources(null, 64L, null, null, null, null), NetworkMode.NONE, List.of(),
                sh("head -c 419430400 /dev/zero | tail > /dev/null"));
        assertThat(run.status().code()).isEqualTo(137);
        assertThat(run.status().limitsHit()).contains("memory limit 64 MiB reached (OOM kill)");
    }

    @Test
    void pidsLimitIsReportedWithTheForksRefused() throws Exception {
        requireAvailable();
        Result run = run(new Resources(null, null, 16, null, null, null), NetworkMode.NONE, List.of(),
                sh("i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo spawned-all"));
        assertThat(run.output().stdoutText()).doesNotContain("spawned-all");
        assertThat(run.status().limitsHit()).anySatisfy(hit -> assertThat(hit).startsWith("pids limit 16 reached ("));
    }

    @Test
    void theJobGetsExactlyThePidsItAskedFor() throws Exception {
        requireAvailable();
        // the shell is one pid, each sleep one more: 8 in all fit a limit of 8, the pause process aside
        Result run = run(new Resources(null, null, 8, null, null, null), NetworkMode.NONE, List.of(),
                sh("for i in 1 2 3 4 5 6 7; do sleep 5 & done; echo all-started"));
        assertThat(run.output().stdoutText()).as(run.output().describe()).contains("all-started");
        assertThat(run.status().limitsHit()).isEmpty();
    }

    @Test
    void aMissingCommandExits127WithPodmansReason() throws Exception {
        requireAvailable();
        Result run = run(new ProcessSpec(List.of("no-such-command-" + newId()), Map.of(), null));
        assertThat(run.status().code()).isEqualTo(127);
        assertThat(run.output().stderrText()).contains("executable file not found");
    }

    @Test
    void environmentIsTheBaseAndTheJobsOwn() throws Exception {
        requireAvailable();
        Result run = run(new ProcessSpec(List.of("env"), Map.of("JOB_VAR", "1"), null));
        List<String> names = run.output().stdoutText().lines().map(l -> l.substring(0, l.indexOf('='))).sorted().toList();
        // PATH, HOME=/work (not from the image's /etc/passwd) and LANG are every runtime's base (SandboxEnv);
        // TERM=xterm and container=podman are Podman's own
        assertThat(names).containsExactlyInAnyOrder("PATH", "JOB_VAR", "HOME", "LANG", "TERM", "container");
    }

    @Test
    void theContainerIsLockedDown() throws Exception {
        requireAvailable();
        Result run = run(sh("id -u; id -g; pwd; grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status; "
                + "grep -E ' /(work|tmp) ' /proc/mounts"));
        assertThat(run.status().code()).as(run.output().describe()).isZero();
        int id = dev.hangar.runtime.support.HostUser.containerJobsId(); // no account's under root
        assertThat(run.output().stdoutText()).startsWith(id + "\n" + id + "\n/work\n")
                .contains("CapEff:\t0000000000000000").containsPattern("NoNewPrivs:\\s+1")
                .contains("tmpfs /work tmpfs rw,nosuid,nodev,relatime,size=1048576k")
                .contains("tmpfs /tmp tmpfs rw,nosuid,nodev,relatime,size=1048576k");
    }

    @Test
    void destroyLeavesNoContainerConmonOrRunc() throws Exception {
        requireAvailable();
        Sandbox sandbox = runtime.create(new SandboxSpec(newId(), "busybox", Resources.defaults(), NetworkMode.NONE, List.of()));
        String containerId = ((PodmanSandbox) sandbox).containerId();
        var output = new OutputCollector();
        var process = sandbox.exec(sh("echo up; sleep 300"), output);
        assertThat(output.awaitText(dev.hangar.core.runtime.OutputSink.Stream.STDOUT, "up\n", java.time.Duration.ofSeconds(30)))
                .isTrue();
        assertThat(hostProcessesWith(containerId)).as("conmon of the container and of the exec session").isNotEmpty();
        sandbox.destroy();
        assertThat(process.exit().get(15, TimeUnit.SECONDS).code()).isEqualTo(137);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<String> left = hostProcessesWith(containerId);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            left = hostProcessesWith(containerId);
        }
        assertThat(left).as("processes still naming container %s", containerId).isEmpty();
        assertThat(podman("ps", "-a", "-q", "--no-trunc", "--filter", "id=" + containerId)).isBlank();
    }

    @Test
    void closeReturnsOnlyWhenPodmansCleanUpCommandsHaveEnded() throws Exception {
        requireAvailable();
        Path own = dataDir.resolve("closing");
        var closing = new PodmanRuntime(new RuntimeContext(own, store));
        RuntimeProbe itsProbe = closing.probe();
        assertThat(itsProbe.available()).as(itsProbe.reason()).isTrue();
        var helpers = new PodmanHelpers(Path.of(itsProbe.attributes().get("containersConf")));
        for (int i = 0; i < 3; i++) {
            Sandbox sandbox = closing.create(new SandboxSpec(newId(), "busybox", Resources.defaults(), NetworkMode.NONE,
                    List.of()));
            var output = new OutputCollector();
            sandbox.exec(sh("echo up; sleep 300"), output);
            assertThat(output.awaitText(dev.hangar.core.runtime.OutputSink.Stream.STDOUT, "up\n",
                    java.time.Duration.ofSeconds(30))).isTrue();
        }
        closing.close();
        // why: they write to the events log under the data directory, which a caller may delete next
        assertThat(helpers.alive()).as("conmon or 'podman container cleanup' started for this runtime").isEmpty();
    }

    @Test
    void atTheJvmsEndAJobsSandboxIsLeftToItsOwnerWhoseStopThenStillReachesTheService() throws Exception {
        requireAvailable();
        var ending = new PodmanRuntime(new RuntimeContext(dataDir.resolve("ending"), store));
        assertThat(ending.probe().available()).isTrue();
        Sandbox sandbox = ending.create(new SandboxSpec(newId(), "busybox", Resources.defaults(), NetworkMode.NONE,
                List.of()));
        var output = new OutputCollector();
        var process = sandbox.exec(sh("echo up; sleep 300"), output);
        assertThat(output.awaitText(dev.hangar.core.runtime.OutputSink.Stream.STDOUT, "up\n", java.time.Duration.ofSeconds(30)))
                .isTrue();

        // the JVM's end: this runtime's hook and an agent's run at once
        var hook = Thread.ofPlatform().start(ending::atJvmShutdown);
        Thread.sleep(1_000);

        // the hook destroyed the sandbox at once: the job ended as a process killed (137), not stopped by its agent
        assertThat(process.exit()).as("the job's process, left to its agent").isNotDone();
        process.kill(); // the agent's stop, through the service still up
        assertThat(process.exit().get(15, TimeUnit.SECONDS).code()).isEqualTo(137);
        hook.join(java.time.Duration.ofSeconds(30));
        assertThat(hook.isAlive()).as("the hook, once no job's process ran").isFalse();
        String containerId = ((PodmanSandbox) sandbox).containerId();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!hostProcessesWith(containerId).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(hostProcessesWith(containerId)).as("what was left, destroyed: its conmon gone").isEmpty();
    }

    @Test
    void aSandboxBeingMadeWhenTheRuntimeClosesLeavesNoContainerBehind() throws Exception {
        requireAvailable();
        var closing = new PodmanRuntime(new RuntimeContext(dataDir.resolve("closing-while-made"), store));
        assertThat(closing.probe().available()).isTrue();
        long began = System.nanoTime();
        closing.create(new SandboxSpec(newId(), "busybox", Resources.defaults(), NetworkMode.NONE, List.of())).close();
        long took = System.nanoTime() - began; // the service and the image ready now: a make takes less than this

        String id = newId();
        var made = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return closing.create(new SandboxSpec(id, "busybox", Resources.defaults(), NetworkMode.NONE,
                        List.of()));
            } catch (dev.hangar.core.runtime.SandboxException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        TimeUnit.NANOSECONDS.sleep(took / 3); // an agent's stop as a pool refills: the close comes mid-make
        closing.close();

        try {
            Sandbox sandbox = made.get(30, TimeUnit.SECONDS);
            assertThat(sandbox.state()).as("made before the close: destroyed by it")
                    .isEqualTo(dev.hangar.core.runtime.SandboxState.STOPPED);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).hasMessageContaining("closed");
        }
        // it ran on, or stayed as made, with no one to remove it until a node next started here
        assertThat(podman("ps", "-a", "-q", "--filter", "label=" + ContainerSpec.SANDBOX_LABEL + "=" + id)).isBlank();
    }

    @Test
    void aServiceThatDiesIsStartedAgain() throws Exception {
        requireAvailable();
        long first = runtime.servicePid().orElseThrow();
        ProcessHandle service = ProcessHandle.of(first).orElseThrow();
        service.destroyForcibly();
        service.onExit().get(10, TimeUnit.SECONDS);
        Result run = run(sh("echo after-restart"));
        assertThat(run.status().code()).as(run.output().describe()).isZero();
        assertThat(run.output().stdoutText()).isEqualTo("after-restart\n");
        assertThat(runtime.servicePid()).isPresent().get().isNotEqualTo(first);
    }

    @Test
    void containersOfAJvmThatIsGoneAreRemovedAtStart() throws Exception {
        requireAvailable();
        String dead = "4194305@1"; // past the kernel's largest pid: no live JVM has this label
        String id = podman("run", "-d", "--label", ContainerSpec.SANDBOX_LABEL + "=leftover", "--label",
                ContainerSpec.OWNER_LABEL + "=" + dead, "--entrypoint", ContainerSpec.INIT, "-v",
                "/usr/bin/catatonit:" + ContainerSpec.INIT + ":ro", PodmanImages.reference(store.root(), store.resolve("busybox")),
                "-P").strip();
        String live = podman("run", "-d", "--label", ContainerSpec.SANDBOX_LABEL + "=other-node", "--label",
                ContainerSpec.OWNER_LABEL + "=" + OwningProcess.current().label(), "--entrypoint",
                ContainerSpec.INIT, "-v", "/usr/bin/catatonit:" + ContainerSpec.INIT + ":ro",
                PodmanImages.reference(store.root(), store.resolve("busybox")), "-P").strip();
        try (var fresh = new PodmanRuntime(new RuntimeContext(dataDir.resolve("second"), store))) {
            RuntimeProbe second = fresh.probe();
            assertThat(second.available()).as(second.reason()).isTrue();
            assertThat(Integer.parseInt(second.attributes().get("leftoversRemoved"))).isPositive();
            assertThat(podman("ps", "-a", "-q", "--no-trunc", "--filter", "id=" + id)).isBlank();
            assertThat(podman("ps", "-a", "-q", "--no-trunc", "--filter", "id=" + live)).contains(live);
        } finally {
            // one at a time: given one it cannot find, podman rm -f removes none of the others (and exits 0)
            podman("rm", "-f", "-t", "0", id);
            podman("rm", "-f", "-t", "0", live);
        }
    }

    @Test
    void mountsAreBoundReadOnlyOrWritableAsAsked() throws Exception {
        requireAvailable();
        Path shared = Files.createDirectories(dataDir.resolve("shared-" + newId()));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(shared.resolve("in.txt"), "from the host\n");
        Result readOnly = run(Resources.defaults(), NetworkMode.NONE, List.of(new Mount(shared.toString(), "/data", true)),
                sh("cat /data/in.txt; touch /data/out.txt"));
        assertThat(readOnly.output().stdoutText()).isEqualTo("from the host\n");
        assertThat(readOnly.status().code()).isNotZero();
        assertThat(shared.resolve("out.txt")).doesNotExist();
        Result writable = run(Resources.defaults(), NetworkMode.NONE, List.of(new Mount(shared.toString(), "/data", false)),
                sh("echo from the job > /data/out.txt"));
        assertThat(writable.status().code()).as(writable.output().describe()).isZero();
        assertThat(shared.resolve("out.txt")).hasContent("from the job");
    }

    @Test
    void bridgeNetworkGivesAnInterfaceAndARoute() throws Exception {
        requireAvailable();
        Result run = run(Resources.defaults(), NetworkMode.BRIDGE, List.of(), sh("cat /proc/net/dev; ip route"));
        assertThat(run.status().code()).as(run.output().describe()).isZero();
        assertThat(run.output().stdoutText()).contains("eth0:").contains("default via ");
    }

    @Test
    void aGpuThatIsNotThereIsRefused() {
        requireAvailable();
        assumeTrue(!Files.exists(Path.of("/dev/nvidia7")), "this host has a /dev/nvidia7");
        assertThatThrownBy(() -> runtime.create(new SandboxSpec(newId(), "busybox", Resources.defaults(),
                NetworkMode.NONE, List.of(), List.of("7"))))
                .isInstanceOf(SandboxException.class).hasMessageContaining("/dev/nvidia7 does not exist");
    }

    @Test
    void anImageRemovedFromPodmanBehindTheNodesBackIsImportedAgain() throws Exception {
        requireAvailable();
        run(sh("true")); // imported by now
        String reference = PodmanImages.reference(store.root(), store.resolve("busybox"));
        podman("rmi", "--force", reference); // as another tool, or a prune, would

        Result run = run(sh("echo back"));

        assertThat(run.output().stdoutText()).as(run.output().describe()).isEqualTo("back\n");
        assertThat(podman("images", "-q", reference)).isNotBlank();
    }

    @Test
    void anImageOfAStoreThatIsGoneIsRemovedAtTheNextImport() throws Exception {
        requireAvailable();
        run(sh("true")); // the class's store has its busybox imported
        // a directory whose name has a space and quotes: the label names it as it is
        var gone = new LocalImageStore(dataDir.resolve("images \"gone\""));
        String goneTag;
        try (var own = new PodmanRuntime(new RuntimeContext(dataDir.resolve("gone"), gone));
                Sandbox sandbox = own.create(new SandboxSpec(newId(), "busybox", Resources.defaults(), NetworkMode.NONE, List.of()))) {
            goneTag = PodmanImages.reference(gone.root(), gone.resolve("busybox"));
        }
        assertThat(podman("image", "inspect", "--format", "{{index .Labels \"" + PodmanImages.STORE_LABEL + "\"}}", goneTag)
                .strip()).isEqualTo(gone.root().toAbsolutePath().normalize().toString());
        // as a node's data directory removed, or a test's (rm: a root filesystem has read-only directories)
        assertThat(new ProcessBuilder("rm", "-rf", gone.root().toString()).start().waitFor()).isZero();

        var next = new LocalImageStore(dataDir.resolve("images-next"));
        try (var own = new PodmanRuntime(new RuntimeContext(dataDir.resolve("next"), next));
                Sandbox sandbox = own.create(new SandboxSpec(newId(), "busybox", Resources.defaults(), NetworkMode.NONE, List.of()))) {
            assertThat(podman("images", "-q", goneTag)).as("no node wants it").isBlank();
            assertThat(podman("images", "-q", PodmanImages.reference(store.root(), store.resolve("busybox"))))
                    .as("a store that is there keeps its own").isNotBlank();
        }
    }

    @Test
    void theImagesOfAStoreThatIsGoneAreRemovedWhenANodeStartsWhateverTheirName() throws Exception {
        requireAvailable();
        var gone = new LocalImageStore(dataDir.resolve("images-gone-at-start"));
        gone.importRootfs("its-own", store.resolve("busybox").rootfs());
        String goneTag;
        try (var own = new PodmanRuntime(new RuntimeContext(dataDir.resolve("gone-at-start"), gone));
                Sandbox sandbox = own.create(new SandboxSpec(newId(), "its-own", Resources.defaults(), NetworkMode.NONE, List.of()))) {
            goneTag = PodmanImages.reference(gone.root(), gone.resolve("its-own"));
        }
        assertThat(podman("images", "-q", goneTag)).isNotBlank();
        // the same image, and its label, under a name that is not Hangar's
        String foreign = "localhost/not-hangars-" + newId() + ":1.0";
        podman("tag", goneTag, foreign);
        assertThat(new ProcessBuilder("rm", "-rf", gone.root().toString()).start().waitFor()).isZero();

        var next = new LocalImageStore(dataDir.resolve("images-starting"));
        try (var own = new PodmanRuntime(new RuntimeContext(dataDir.resolve("starting"), next))) {
            assertThat(own.probe().available()).as("%s", own.probe()).isTrue();
            assertThat(podman("images", "-q", goneTag)).as("a name no node imports again").isBlank();
            assertThat(podman("images", "-q", foreign)).as("not Hangar's to remove").isNotBlank();
        } finally {
            podman("rmi", "--ignore", foreign);
        }
    }

    @Test
    void anImageMadeAgainIsImportedAgain() throws Exception {
        requireAvailable();
        var images = new LocalImageStore(dataDir.resolve("images-again"));
        try (var own = new PodmanRuntime(new RuntimeContext(dataDir.resolve("again"), images))) {
            String first = PodmanImages.reference(images.root(), images.resolve("busybox"));
            try (Sandbox sandbox = own.create(new SandboxSpec(newId(), "busybox", Resources.defaults(), NetworkMode.NONE, List.of()))) {
                assertThat(sandbox.exec(sh("true"), new OutputCollector()).exit().get(60, TimeUnit.SECONDS).code()).isZero();
            }
            images.remove("busybox");
            Thread.sleep(5); // a new createdAt
            String second = PodmanImages.reference(images.root(), images.resolve("busybox"));
            assertThat(second).isNotEqualTo(first);
            try (Sandbox sandbox = own.create(new SandboxSpec(newId(), "busybox", Resources.defaults(), NetworkMode.NONE, List.of()))) {
                assertThat(sandbox.exec(sh("true"), new OutputCollector()).exit().get(60, TimeUnit.SECONDS).code()).isZero();
            }
            assertThat(podman("images", "-q", second)).isNotBlank();
            assertThat(podman("images", "-q", first)).as("the older tag is removed").isBlank();
        }
        // the class's own runtime, another node's store on this host, imported its busybox earlier: its tag is its own
        String classTag = PodmanImages.reference(store.root(), store.resolve("busybox"));
        assertThat(podman("images", "-q", classTag)).as("another store's image, older though it is, is kept").isNotBlank();
        Result run = run(sh("echo still-works"));
        assertThat(run.output().stdoutText()).as(run.output().describe()).isEqualTo("still-works\n");
    }

    @Test
    void anImageWhoseNameNoReferenceTakesRunsUnderAnotherRepository() throws Exception {
        requireAvailable();
        var images = new LocalImageStore(dataDir.resolve("images-odd"));
        // names the store takes and an image reference does not: a separator at the end, two in a row
        for (String name : List.of("tools-", "a..b")) {
            images.importRootfs(name, store.resolve("busybox").rootfs());
        }
        assertThat(PodmanImages.repository("tools-")).startsWith(PodmanImages.REPOSITORIES + "-");
        assertThat(PodmanImages.repository("busybox")).isEqualTo(PodmanImages.REPOSITORIES + "busybox");
        try (var own = new PodmanRuntime(new RuntimeContext(dataDir.resolve("odd"), images))) {
            for (String name : List.of("tools-", "a..b")) {
                // its import was refused (an invalid reference), a fault of the runtime that benched it for every job
                try (Sandbox sandbox = own.create(new SandboxSpec(newId(), name, Resources.defaults(), NetworkMode.NONE,
                        List.of()))) {
                    var output = new OutputCollector();
                    assertThat(sandbox.exec(sh("echo ran"), output).exit().get(60, TimeUnit.SECONDS).code()).as(name).isZero();
                    assertThat(output.stdoutText()).isEqualTo("ran\n");
                }
            }
        }
    }

    @Test
    void anImageWhoseTarWarnsOfManyFilesIsStillImported() throws Exception {
        requireAvailable();
        // an image of its own name, as importing one named busybox would remove the tag the other tests use
        Path source = Files.createDirectories(dataDir.resolve("noisy-rootfs"));
        Files.copy(store.resolve("busybox").rootfs().resolve("bin/busybox"), Files.createDirectories(source.resolve("bin"))
                .resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createSymbolicLink(source.resolve("bin/sh"), Path.of("busybox"));
        Files.createSymbolicLink(source.resolve("bin/ls"), Path.of("busybox"));
        Files.createSymbolicLink(source.resolve("bin/wc"), Path.of("busybox"));
        // tar says "socket ignored" for each socket: 5,000 of them are over 64 KiB of warnings
        Path sockets = Files.createDirectories(source.resolve("sockets"));
        for (int i = 0; i < 5_000; i++) {
            try (var channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.bind(UnixDomainSocketAddress.of(sockets.resolve("socket-with-a-long-name-" + i)));
            }
        }
        var images = new LocalImageStore(dataDir.resolve("images-noisy"));
        try (var listed = Files.list(images.importRootfs("noisy", source).rootfs().resolve("sockets"))) {
            assertThat(listed.count()).as("the image holds the sockets").isEqualTo(5_000);
        }
        try (var own = new PodmanRuntime(new RuntimeContext(dataDir.resolve("noisy"), images))) {
            // on a thread of its own, so that an import that hangs fails the test rather than hanging it
            var made = new FutureTask<>(() -> own.create(new SandboxSpec(newId(), "noisy", Resources.defaults(),
                    NetworkMode.NONE, List.of())));
            Thread.ofVirtual().start(made);
            try (Sandbox sandbox = made.get(120, TimeUnit.SECONDS)) {
                var output = new OutputCollector();
                assertThat(sandbox.exec(sh("ls /sockets | wc -l"), output).exit().get(60, TimeUnit.SECONDS).code())
                        .as(output.describe()).isZero();
                assertThat(output.stdoutText().strip()).as("tar leaves sockets out").isEqualTo("0");
            } finally {
                made.cancel(true);
            }
        }
    }

    /** The podman CLI with the driver's containers.conf. */
    private String podman(String... args) throws Exception {
        var command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("CONTAINERS_CONF", dataDir.resolve("podman").resolve("containers.conf").toString());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("podman " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }
}
