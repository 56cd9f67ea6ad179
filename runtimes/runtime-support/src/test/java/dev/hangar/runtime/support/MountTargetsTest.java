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
    void aPathIsFoundThroughTheImagesLinksAsTheRuntimeFindsItAndOneTheImageLacksIsLeftToTheRuntime() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("usr/lib"));
        Files.createSymbolicLink(rootfs.resolve("lib"), Path.of("usr/lib"));
        Files.createDirectories(rootfs.resolve("run"));
        Files.createDirectories(rootfs.resolve("var"));
        Files.createSymbolicLink(rootfs.resolve("var/run"), Path.of("/run"));
        Files.writeString(rootfs.resolve("usr/lib/os-release"), "");
        Path hostFile = Files.writeString(dir.resolve("os-release"), "");
        Path hostDir = Files.createDirectories(dir.resolve("data"));

        MountTargets.check(rootfs, "img", List.of(new Mount(hostDir.toString(), "/usr/lib", true),
                new Mount(hostFile.toString(), "/lib/os-release", true), new Mount(hostDir.toString(), "/new/dir", true),
                new Mount(hostDir.toString(), "/var/run", true)));
        assertThatThrownBy(() -> MountTargets.check(rootfs, "img", List.of(new Mount(hostDir.toString(), "/lib/os-release",
                true)))).as("through a relative link").hasMessageStartingWith("mounts[0]: '/lib/os-release' is a file");
        assertThatThrownBy(() -> MountTargets.check(rootfs, "img", List.of(new Mount(hostFile.toString(), "/var/run",
                true)))).as("through an absolute link, from the root").hasMessageStartingWith("mounts[0]: '/var/run' is a directory");
        assertThat(MountTargets.directoryIn(rootfs, "/", point -> false)).isEmpty();
        assertThat(MountTargets.directoryIn(rootfs, "/usr/lib/os-release/x", point -> false)).as("under a file").isEmpty();
        assertThat(MountTargets.directoryIn(rootfs, "/usr", point -> point.endsWith("usr")))
                .as("a point a runtime made for another sandbox").isEmpty();
        assertThat(MountTargets.directoryIn(rootfs, "/usr", point -> false)).isEqualTo(Optional.of(true));
    }
}
