package dev.hangar.runtime.kata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.images.LocalImageStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KataRuntimeTest {
    @TempDir
    Path dir;

    @Test
    void withoutKataTheProbeSaysWhatToInstall() {
        var host = new KataHost(Optional.empty(), Optional.of(Path.of("/usr/bin/ctr")), Optional.of(Path.of("/usr/bin/catatonit")),
                dir.resolve("containerd.sock"), dir.resolve("kvm"));
        var probe = new KataRuntime(host, new LocalImageStore(dir), dir.resolve("kata")).probe();
        assertThat(probe.available()).isFalse();
        assertThat(probe.reason()).contains("containerd-shim-kata-v2").contains("install");
    }

    @Test
    void withoutContainerdRunningTheProbeSaysSo() {
        var host = new KataHost(Optional.of(Path.of("/opt/kata/bin/containerd-shim-kata-v2")),
                Optional.of(Path.of("/usr/bin/ctr")), Optional.of(Path.of("/usr/bin/catatonit")), dir.resolve("containerd.sock"), dir.resolve("kvm"));
        assertThat(new KataRuntime(host, new LocalImageStore(dir), dir.resolve("kata")).probe().reason()).contains("containerd is not running");
    }

    @Test
    void theCtrLineSelectsTheKataShimAndCarriesTheLimits() {
        var spec = new SandboxSpec("job-1", "busybox", new Resources(2.0, 256L, null, 64L, 0, null), NetworkMode.NONE,
                List.of(new Mount("/srv/data", "/data", true)), List.of());
        List<String> argv = CtrCommand.run(Path.of("/usr/bin/ctr"), spec, Path.of("/images/busybox/rootfs"),
                Path.of("/usr/bin/catatonit"), Path.of("/tmp/pid"),
                new ProcessSpec(List.of("echo", "hi"), Map.of(), null), Path.of("/tmp/env"));
        assertThat(argv).containsSubsequence("--runtime", "io.containerd.kata.v2", "--rootfs")
                .containsSubsequence("--memory-limit", Long.toString(256L * 1024 * 1024))
                .containsSubsequence("--mount", "type=bind,src=/srv/data,dst=/data,options=rbind:ro")
                .containsSubsequence("--env-file", "/tmp/env")
                .doesNotContain("--env")
                .doesNotContain("--net-host")
                .containsSubsequence("--mount", "type=bind,src=/usr/bin/catatonit,dst=/run/hangar-init,options=rbind:ro")
                .endsWith("/images/busybox/rootfs", "job-1", "/run/hangar-init", "--", "echo", "hi");
    }

    @Test
    void aMountPathWithAQuoteReachesCtrAsItsCsvReadingOfMountsGetsIt() {
        var spec = new SandboxSpec("job-2", "busybox", Resources.defaults(), NetworkMode.NONE,
                List.of(new Mount("/srv/da\"ta", "/in \"x\"", false)), List.of());
        List<String> argv = CtrCommand.run(Path.of("/usr/bin/ctr"), spec, Path.of("/images/busybox/rootfs"),
                Path.of("/usr/bin/catatonit"), Path.of("/tmp/pid"), new ProcessSpec(List.of("true"), Map.of(), null),
                Path.of("/tmp/env"));
        String mount = argv.stream().filter(arg -> arg.contains("src=/srv")).findFirst().orElseThrow();

        assertThat(CtrSimulator.parseMount(mount)).containsEntry("source", "/srv/da\"ta")
                .containsEntry("destination", "/in \"x\"").containsEntry("options", "rbind:rw");
        assertThatThrownBy(() -> CtrSimulator.parseMount("type=bind,src=/srv/da\"ta,dst=/in"))
                .as("as ctr refuses it").hasMessageContaining("bare \" in non-quoted-field");
    }

    @Test
    void theJobsEnvironmentGoesToCtrInAFileAVariableALineAndAValueWithALineBreakIsRefused() {
        assertThat(CtrCommand.envFile(new java.util.LinkedHashMap<>(Map.of("A", "b c")))).isEqualTo("A=b c\n");
        assertThatThrownBy(() -> CtrCommand.envFile(Map.of("A", "x\nLD_PRELOAD=/work/evil.so")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("env.A: a value with a line break");
        // containerd reads the file with a 64 KiB line buffer: a longer line failed ctr as the runtime's fault
        assertThat(CtrCommand.envFile(Map.of("A", "b".repeat(CtrCommand.MAX_ENV_LINE_BYTES - 2)))).hasSize(64 * 1024);
        assertThatThrownBy(() -> CtrCommand.envFile(Map.of("BIG", "b".repeat(70_000))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("env.BIG: NAME=VALUE is 70004 bytes; a Kata job's variables are at most 65535 bytes each"
                        + " (ctr reads them a line at a time)");
    }

    @Test
    void aSandboxIdContainerdWouldRefuseIsGivenAsAStableNameOfItsHash() {
        assertThat(CtrCommand.containerId("job-1")).isEqualTo("job-1");
        String poolSandbox = "pool-" + "a--b".repeat(16) + "-0123abcd"; // 78 characters, with "--"
        String id = CtrCommand.containerId(poolSandbox);
        assertThat(id).matches("[A-Za-z0-9]+([._-][A-Za-z0-9]+)*").hasSizeLessThanOrEqualTo(76)
                .isEqualTo(CtrCommand.containerId(poolSandbox)).isNotEqualTo(CtrCommand.containerId(poolSandbox + "x"));
    }

    @Test
    void theMountPointsAKilledNodesSandboxWroteDownAreRemovedFromTheFileTheNextStartsSweepHandsOn() throws Exception {
        Path image = java.nio.file.Files.createDirectories(dir.resolve("image/usr/made-for-a-mount/in"));
        java.nio.file.Files.writeString(dir.resolve("image/usr/kept"), "the image's own");
        Path written = java.nio.file.Files.writeString(dir.resolve("ctr-x-1.points"),
                dir.resolve("image/usr/made-for-a-mount") + "\n" + dir.resolve("image/usr/kept") + "\n");
        Path empty = java.nio.file.Files.createDirectories(dir.resolve("image/empty"));
        Path otherFile = java.nio.file.Files.writeString(dir.resolve("ctr-x-2.env"), empty + "\n");

        KataSandbox.removeRecordedMountPoints(written);
        KataSandbox.removeRecordedMountPoints(otherFile);

        assertThat(image.getParent()).as("the point and what the agent made under it").doesNotExist();
        assertThat(dir.resolve("image/usr/kept")).as("a file with content is never removed").exists();
        assertThat(empty).as("named in a file that is no .points file: not read").exists();
    }
}
