package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.runtime.Mount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which mount points runsc will make in an image's root, found as runsc walks the path; removed when let go. */
class MountPointsTest {
    @TempDir
    Path rootfs;

    @Test
    void aMountPointUnderALinkOfTheImageIsFoundWhereTheLinkPointsAndRemovedWhenLetGo() throws Exception {
        Files.createDirectories(rootfs.resolve("run"));
        Files.createDirectories(rootfs.resolve("var"));
        Files.createSymbolicLink(rootfs.resolve("var/run"), Path.of("/run"));
        Files.createSymbolicLink(rootfs.resolve("var/lock"), Path.of("../../../../run/lock"));
        Files.writeString(rootfs.resolve("kept"), "the image's own");

        MountPoints points = MountPoints.claim(rootfs, List.of(new Mount("/h", "/var/run/docker.sock", false),
                new Mount("/h", "/var/lock/x", false), new Mount("/h", "/kept", true), new Mount("/h", "/run", true)));

        assertThat(points.paths()).containsExactly(rootfs.resolve("run/docker.sock"), rootfs.resolve("run/lock"));
        Files.createFile(rootfs.resolve("run/docker.sock")); // as runsc's gofer makes them
        Files.createDirectories(rootfs.resolve("run/lock/x"));
        points.release();
        assertThat(rootfs.resolve("run/docker.sock")).doesNotExist();
        assertThat(rootfs.resolve("run/lock")).doesNotExist();
        assertThat(rootfs.resolve("run")).as("the image's own").isDirectory();
        assertThat(rootfs.resolve("kept")).hasContent("the image's own");
    }
}
