package dev.hangar.runtime.kata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.support.OwningProcess;
import dev.hangar.runtime.support.Programs;
import dev.hangar.runtime.testkit.OutputCollector;
import dev.hangar.runtime.testkit.RuntimeContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime contract against the kata driver driving {@link CtrSimulator} in place of ctr,
 * containerd and the Kata shim, on any host that has what the simulator's stand-in VM needs
 * (bwrap, writable cgroups, catatonit); where one is missing the probe says why and each test is
 * skipped with it.
 */
class KataOnCtrSimulatorContractTest extends RuntimeContractTest {
    @TempDir
    static Path dataDir;

    @Override
    protected SandboxRuntime runtime() {
        try {
            Path ctr = launcher(dataDir.resolve("simulator"));
            Path socket = Files.writeString(dataDir.resolve("containerd.sock.simulated"), "");
            Path kvm = Files.writeString(dataDir.resolve("kvm.simulated"), "");
            return new KataRuntime(new KataHost(Optional.of(ctr), Optional.of(ctr), Programs.catatonit(), socket, kvm),
                    new LocalImageStore(dataDir.resolve("images")), dataDir.resolve("kata"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected ImageStore images() {
        return new LocalImageStore(dataDir.resolve("images"));
    }

    @Override
    protected String image() {
        return "busybox";
    }

    @Override
    protected Optional<String> limitsHitUntold() {
        return Optional.of("the kata driver does not tell an OOM in the VM from other ends (containerd's /tasks/oom "
                + "event is not read)");
    }

    @Override
    protected Optional<String> pidsLimitNotHeld() {
        return Optional.of("ctr run has no pids flag and the kata driver passes no OCI spec: the VM holds no pids limit");
    }

    @Override
    protected Optional<String> hostUsersNotTheSandboxes() {
        return Optional.of("the simulator's stand-in VM is bwrap started by this process, whose files are this"
                + " process's user's; Kata's guest writes a share through virtiofsd as the guest's user");
    }

    @Test
    void theProbeSaysTheDriverIsApiTestedOnly() {
        assertThat(probeResult().available()).isTrue();
        assertThat(probeResult().apiTestedOnly()).as("shown as 'API-tested only' by hangar runtimes and the dashboard")
                .isTrue();
    }

    @Test
    void theJobsEnvironmentIsOnNoCommandLineOfTheHost() throws Exception {
        Sandbox sandbox = newSandbox();
        String secret = "hangar-secret-" + java.util.UUID.randomUUID();
        OutputCollector out = new OutputCollector();
        var process = start(sandbox, new dev.hangar.core.runtime.ProcessSpec(java.util.List.of("sh", "-c",
                "echo started; sleep 30"), java.util.Map.of("API_TOKEN", secret), null), out);
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> out.stdoutText().contains("started"));

            // without the fix ctr's own line held --env API_TOKEN=..., for any user of the host to read in ps
            try (var procs = Files.list(Path.of("/proc"))) {
                assertThat(procs.filter(p -> p.getFileName().toString().matches("[0-9]+"))
                        .map(KataOnCtrSimulatorContractTest::cmdline)).noneMatch(line -> line.contains(secret));
            }
        } finally {
            process.kill();
        }
    }

    /** A process's command line, its arguments joined by spaces; empty for one gone meanwhile. */
    private static String cmdline(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void ctrFailingBeforeTheTaskExistsIsTheRuntimesFailureNotTheJobs() throws Exception {
        Sandbox sandbox = newSandbox();
        // a container of the same id left in containerd (by an agent killed under it, say): ctr run exits 1
        Files.createDirectories(dataDir.resolve("simulator/state").resolve(CtrCommand.NAMESPACE)
                .resolve(CtrCommand.containerId(sandbox.id())));
        OutputCollector out = new OutputCollector();

        var failure = catchThrowableOfType(ExecutionException.class,
                () -> start(sandbox, command("true"), out).exit().get(60, TimeUnit.SECONDS));

        assertThat(failure.getCause()).as("%s", out.describe()).isInstanceOfSatisfying(SandboxException.class, e -> {
            assertThat(e.isCausedByTheJob()).isFalse();
            assertThat(e.getMessage()).isEqualTo(KataSandbox.CTR_FAILED);
        });
        assertThat(out.stderrText()).contains("already exists");
    }

    @Test
    void aContainerOfTheSameIdThatAnotherProcessMadeIsNotRemovedWithTheSandboxWhoseCtrItFailed() throws Exception {
        Sandbox sandbox = newSandbox();
        // another live process's container of that id (a job id two deployments on one host share)
        Path theirs = Files.createDirectories(dataDir.resolve("simulator/state").resolve(CtrCommand.NAMESPACE)
                .resolve(CtrCommand.containerId(sandbox.id())));
        // a process of other namespaces (another container's agent): never taken for gone from here
        var another = new OwningProcess(OwningProcess.current().pid(), 1, "1.2");
        Files.writeString(theirs.resolve("labels"), CtrCommand.OWNER_LABEL + "=" + another.label());
        OutputCollector out = new OutputCollector();
        catchThrowableOfType(ExecutionException.class,
                () -> start(sandbox, command("true"), out).exit().get(60, TimeUnit.SECONDS));

        sandbox.destroy();

        // its task was killed and its container removed, the other process's job with it
        assertThat(theirs).as("%s", out.describe()).exists();
        assertThat(new Ctr(dataDir.resolve("simulator/ctr-simulator")).run("container", "rm",
                CtrCommand.containerId(sandbox.id())).ok()).isTrue();
    }

    @Test
    void containersLeftByAGoneProcessAreRemovedWhenTheRuntimeIsProbedAndALiveOnesKept() throws Exception {
        Path rootfs = new LocalImageStore(dataDir.resolve("images")).resolve("busybox").rootfs();
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        var gone = new OwningProcess(exited.pid(), 1, OwningProcess.current().namespaces());
        String marker = uniqueSeconds(300);
        Path ctr = dataDir.resolve("simulator/ctr-simulator");
        // as an agent killed with SIGKILL leaves it: the ctr client gone, the task running in its VM
        String left = "left-" + System.nanoTime();
        Process orphaned = new ProcessBuilder(ctr.toString(), "--namespace", CtrCommand.NAMESPACE, "run", "--rm",
                "--runtime", "io.containerd.kata.v2", "--rootfs", "--label", CtrCommand.OWNER_LABEL + "=" + gone.label(),
                rootfs.toString(), left, "sleep", marker).start();
        Path status = dataDir.resolve("simulator/state").resolve(CtrCommand.NAMESPACE).resolve(left).resolve("task/status.json");
        await("the task started").atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(status) && Files.readString(status).contains("child-pid"));
        orphaned.destroyForcibly().waitFor();
        String live = "live-" + System.nanoTime();
        Files.createDirectories(dataDir.resolve("simulator/state").resolve(CtrCommand.NAMESPACE).resolve(live));
        Files.writeString(dataDir.resolve("simulator/state").resolve(CtrCommand.NAMESPACE).resolve(live).resolve("labels"),
                CtrCommand.OWNER_LABEL + "=" + OwningProcess.current().label());

        assertThat(runtime().probe().available()).isTrue();

        await("the sweep the probe started").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> new Ctr(ctr).read("containers", "ls", "-q").output().lines().toList(),
                        containers -> !containers.contains(left));
        assertThat(new Ctr(ctr).read("containers", "ls", "-q").output().lines().toList()).as("a live process's")
                .contains(live);
        assertNoHostProcessWith(marker);
        assertThat(new Ctr(ctr).run("container", "rm", live).ok()).isTrue();
    }

    /** {@code ctr-simulator}: runs {@link CtrSimulator} on this JVM's classpath, its state under {@code dir}. */
    static Path launcher(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("state"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path script = dir.resolve("ctr-simulator");
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"
                + " -D" + CtrSimulator.STATE_PROPERTY + "='" + dir.resolve("state") + "'"
                + " -cp '" + System.getProperty("java.class.path") + "' " + CtrSimulator.class.getName() + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }
}
