package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountTargetsTest {
    @TempDir
    Path dir;

    @Test
    void aFileOverADirectoryOrADirectoryOverAFileIsTheJobsFaultNamingTheMount() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("root"));
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/hosts"), "");
        Path hostFile = Files.writeString(dir.resolve("conf.json"), "{}");
        Path hostDir = Files.createDirectories(dir.resolve("data"));

        assertThatThrownBy(() -> MountTargets.check(rootfs, "busybox", List.of(new Mount(hostDir.toString(), "/data", true),
                new Mount(hostFile.toString(), "/root", true))))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isTrue())
                .hasMessage("mounts[1]: '/root' is a directory in image 'busybox' and the host path is a file: a mount"
                        + " can only cover a path of its own kind, or one the image lacks");
        assertThatThrownBy(() -> MountTargets.check(rootfs, "busybox", List.of(new Mount(hostDir.toString(), "/etc/hosts", true))))
                .hasMessageStartingWith("mounts[0]: '/etc/hosts' is a file in image 'busybox' and the host path is a directory");
    }

    @Test
    void pathsOfTheirOwnKindOrThatTheImageLacksOrReachesThroughALinkAreLeftToTheRuntime() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("usr/lib"));
        Files.createSymbolicLink(rootfs.resolve("lib"), Path.of("usr/lib"));
        Files.writeString(rootfs.resolve("usr/lib/os-release"), "");
        Path hostFile = Files.writeString(dir.resolve("os-release"), "");
        Path hostDir = Files.createDirectories(dir.resolve("data"));

        MountTargets.check(rootfs, "img", List.of(new Mount(hostDir.toString(), "/usr/lib", true),
                new Mount(hostFile.toString(), "/usr/lib/os-release", true), new Mount(hostDir.toString(), "/new/dir", true),
                new Mount(hostDir.toString(), "/lib/os-release", true)));
        assertThat(MountTargets.directoryIn(rootfs, "/lib/os-release")).as("through a link").isEmpty();
        assertThat(MountTargets.directoryIn(rootfs, "/")).isEmpty();
        assertThat(MountTargets.directoryIn(rootfs, "/usr")).isEqualTo(Optional.of(true));
    }
}
