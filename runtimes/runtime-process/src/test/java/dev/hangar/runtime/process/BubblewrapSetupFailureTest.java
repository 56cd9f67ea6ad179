package dev.hangar.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.support.Limiter;
import dev.hangar.runtime.support.Programs;
import dev.hangar.runtime.testkit.OutputCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** bwrap's own failure to set a sandbox up, told from a job that exits 1 itself. */
class BubblewrapSetupFailureTest extends ProcessRuntimeTest {
    private SandboxSpec spec(String id, List<Mount> mounts) {
        return new SandboxSpec(id, null, Resources.defaults(), NetworkMode.NONE, mounts);
    }

    @Test
    void aMountBwrapCannotMakeIsTheSandboxFailingForTheJobNotAnExitCode() throws Exception {
        Path dir = Files.createDirectories(dataDir.resolve("data"));
        var output = new OutputCollector();
        try (Sandbox sandbox = runtime.create(spec("setup-fails", List.of(new Mount(dir.toString(), "/etc/passwd/x", true))))) {
            var process = sandbox.exec(new ProcessSpec(List.of("true"), Map.of(), null), output);

            var failure = catchThrowableOfType(ExecutionException.class, () -> process.exit().get(30, TimeUnit.SECONDS));

            assertThat(failure.getCause()).isInstanceOfSatisfying(SandboxException.class, e -> {
                assertThat(e.isCausedByTheJob()).isTrue();
                assertThat(e.getMessage()).isEqualTo(BubblewrapStatus.SETUP_FAILED);
            });
            assertThat(output.stderrText()).startsWith("bwrap: ");
        }
    }

    /**
     * A host out of user namespaces, for real: bwrap started in a user namespace of its own whose
     * limit of user namespaces is 0 (the host's own limit is left as it is).
     */
    @Test
    void aHostThatCannotMakeTheNamespacesIsTheRuntimesFailureNotTheJobs() throws Exception {
        Path bwrap = Programs.find("bwrap").orElseThrow();
        Process prepared = new ProcessBuilder("unshare", "--user", "--map-root-user", "sh", "-c",
                "echo 0 > /proc/sys/user/max_user_namespaces").redirectErrorStream(true).start();
        assumeTrue(prepared.waitFor() == 0, "this host lets no plain process lower its own user namespace limit: "
                + new String(prepared.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        Path outOfNamespaces = Files.writeString(dataDir.resolve("bwrap-out-of-namespaces"), """
                #!/bin/sh
                exec unshare --user --map-root-user sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" "$@"' \
                    %s "$@"
                """.formatted(bwrap));
        Files.setPosixFilePermissions(outOfNamespaces, PosixFilePermissions.fromString("rwxr-xr-x"));
        var starved = new BubblewrapRuntime(Optional.of(outOfNamespaces), Limiter.detect(),
                new LocalImageStore(dataDir.resolve("images")));
        var output = new OutputCollector();
        try (Sandbox sandbox = starved.create(spec("no-namespaces", List.of()))) {
            var process = sandbox.exec(new ProcessSpec(List.of("true"), Map.of(), null), output);

            var failure = catchThrowableOfType(ExecutionException.class, () -> process.exit().get(30, TimeUnit.SECONDS));

            assertThat(failure.getCause()).as("stderr: %s", output.stderrText()).isInstanceOfSatisfying(
                    SandboxException.class, e -> {
                        assertThat(e.isCausedByTheJob()).isFalse();
                        assertThat(e.getMessage()).isEqualTo(BubblewrapStatus.NAMESPACES_FAILED);
                    });
            assertThat(output.stderrText()).contains("bwrap: Creating new namespace failed");
        }
    }

    @Test
    void bwrapRemovedWhileTheNodeRunsIsTheRuntimesFailureNotTheJobs() throws Exception {
        Path bwrap = Files.createSymbolicLink(dataDir.resolve("bwrap-then-removed"), Programs.find("bwrap").orElseThrow());
        var found = new BubblewrapRuntime(Optional.of(bwrap), Limiter.detect(), new LocalImageStore(dataDir.resolve("images")));
        Files.delete(bwrap); // as apt-get remove bubblewrap would

        var refused = catchThrowableOfType(SandboxException.class, () -> found.create(spec("bwrap-gone", List.of())));

        assertThat(refused).as("it would bench the runtime, not fail the job").isNotNull();
        assertThat(refused.isCausedByTheJob()).isFalse();
        assertThat(refused).hasMessageContaining("is gone").hasMessageContaining("install the bubblewrap package");
    }

    @Test
    void aJobCannotMakeUserNamespacesThatWouldUseUpTheHosts() throws Exception {
        var output = new OutputCollector();
        try (Sandbox sandbox = runtime.create(spec("no-userns", List.of()))) {
            ExitStatus status = sandbox.exec(new ProcessSpec(List.of("unshare", "--user", "true"), Map.of(), null),
                    output).exit().get(30, TimeUnit.SECONDS);

            assertThat(status.code()).as("stderr: %s", output.stderrText()).isNotZero();
        }
    }

    @Test
    void aJobThatExitsOneItselfKeepsItsExitCode() throws Exception {
        var output = new OutputCollector();
        try (Sandbox sandbox = runtime.create(spec("exits-one", List.of()))) {
            ExitStatus status = sandbox.exec(new ProcessSpec(List.of("sh", "-c", "echo bwrap: not really >&2; exit 1"),
                    Map.of(), null), output).exit().get(30, TimeUnit.SECONDS);

            assertThat(status.code()).isEqualTo(1);
        }
    }
}
