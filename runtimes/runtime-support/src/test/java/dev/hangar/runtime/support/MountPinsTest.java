package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pins made for real with mount(8): what a runtime is given is what was checked, whatever the path leads to later. */
class MountPinsTest {
    @TempDir
    Path dir;

    private Path allowed;
    private Path data;
    private Path file;
    private Path outside;
    private MountPins pins;
    private MountPolicy policy;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(MountPins.possible(), "pinning a mount takes root");
        allowed = Files.createDirectories(dir.resolve("allowed"));
        data = Files.createDirectories(allowed.resolve("data"));
        Files.writeString(data.resolve("input"), "allowed data");
        file = Files.writeString(allowed.resolve("one-file"), "allowed file");
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("input"), "not for jobs");
        Files.writeString(outside.resolve("one-file"), "not for jobs");
        pins = new MountPins(dir.resolve("pins"));
        policy = MountPolicy.onThisHost(List.of(allowed));
    }

    @AfterEach
    void unmountWhatATestLeft() {
        if (pins != null && Files.isDirectory(dir.resolve("pins"))) {
            MountPins.run(List.of("/bin/sh", "-c", "grep -o ' " + dir + "/pins/[^ ]*' /proc/self/mounts"
                    + " | xargs -r umount --lazy"));
        }
    }

    @Test
    void aCheckedDirectoryIsPinnedWhereNoJobCanReachItAndTakenAwayOnClose() throws Exception {
        Path pin;
        try (PinnedMounts pinned = pins.pin("job-1-1-1", List.of(new Mount(data.toString(), "/data", true)), policy)) {
            Mount given = pinned.mounts().getFirst();
            pin = Path.of(given.hostPath());
            assertThat(pin).startsWith(dir.resolve("pins"));
            assertThat(given.sandboxPath()).isEqualTo("/data");
            assertThat(given.readOnly()).isTrue();
            assertThat(Files.readString(pin.resolve("input"))).isEqualTo("allowed data");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("pins"))))
                    .as("only root and the process runtime's jobs' group may walk to a pin").isEqualTo("rwx--x---");
            assertThat(Files.getAttribute(dir.resolve("pins"), "unix:gid")).isEqualTo(HostUser.JOBS_ID);
        }
        assertThat(pin).doesNotExist();
        assertThat(pin.getParent()).as("the sandbox's directory of pins").doesNotExist();
        assertThat(Files.readString(data.resolve("input"))).as("nothing removed through the pin").isEqualTo("allowed data");
    }

    @Test
    void aFileSystemMountedInsideTheDirectoryIsPinnedWithIt() throws Exception {
        Path share = Files.createDirectories(data.resolve("share"));
        assertThat(MountPins.run(List.of("mount", "-t", "tmpfs", "tmpfs", share.toString())).code()).isZero();
        try {
            Files.writeString(share.resolve("on-the-share"), "shared");
            try (PinnedMounts pinned = pins.pin("job-8-1-1", List.of(new Mount(data.toString(), "/data", false)), policy)) {
                assertThat(Files.readString(Path.of(pinned.mounts().getFirst().hostPath(), "share", "on-the-share")))
                        .as("what a network share under an allowed path shows").isEqualTo("shared");
            }
        } finally {
            MountPins.run(List.of("umount", "--lazy", share.toString()));
        }
    }

    /** The options of the mount at {@code path}, as the kernel keeps them for that mount. */
    private static String optionsOf(Path path) {
        return MountPins.run(List.of("findmnt", "-n", "-o", "VFS-OPTIONS", "-M", path.toString())).output().strip();
    }

    @Test
    void noSetUserIdFileNorDeviceWorksThroughAPinAndEachMountKeepsItsOwnOptions() throws Exception {
        Path share = Files.createDirectories(data.resolve("ro-share"));
        assertThat(MountPins.run(List.of("mount", "-t", "tmpfs", "-o", "ro,noexec", "tmpfs", share.toString())).code())
                .isZero();
        try (PinnedMounts pinned = pins.pin("job-9-1-1", List.of(new Mount(data.toString(), "/data", false),
                new Mount(file.toString(), "/in", false), new Mount(share.toString(), "/ro", false)), policy)) {
            List<Mount> given = pinned.mounts();
            // a sandbox's host user may pass through the pins' directory: an image's setuid-root file made it root
            for (Mount mount : given) {
                assertThat(optionsOf(Path.of(mount.hostPath()))).as(mount.sandboxPath()).contains("nosuid", "nodev");
            }
            Path below = Path.of(given.get(0).hostPath(), "ro-share");
            assertThat(optionsOf(below)).as("a share mounted below a pinned path, which the pin holds too")
                    .contains("nosuid", "nodev", "noexec").startsWith("ro,");
            assertThat(optionsOf(Path.of(given.get(2).hostPath()))).as("a read-only share stays so, noexec too")
                    .startsWith("ro,").contains("noexec");
            assertThat(optionsOf(Path.of(given.get(0).hostPath()))).startsWith("rw,");
        } finally {
            MountPins.run(List.of("umount", "--lazy", share.toString()));
        }
    }

    @Test
    void aTrialPinWorksWhereRootMayMountAndSaysWhyWhereItCannot() {
        assertThat(pins.trial()).isEmpty();
        var nowhere = new MountPins(Path.of("/proc/hangar-pins"));
        assertThat(nowhere.trial()).as("pins under /proc").hasValueSatisfying(why -> assertThat(why).contains("pin"));
    }

    @Test
    void aCheckedFileIsPinned() throws Exception {
        try (PinnedMounts pinned = pins.pin("job-2-1-1", List.of(new Mount(file.toString(), "/in", false)), policy)) {
            assertThat(Files.readString(Path.of(pinned.mounts().getFirst().hostPath()))).isEqualTo("allowed file");
        }
        assertThat(Files.readString(file)).isEqualTo("allowed file");
    }

    @Test
    void aPathThatLeadsOutOfTheAllowedRootsByNowIsRefusedAsTheJobsDoing() throws Exception {
        Path link = Files.createSymbolicLink(allowed.resolve("link"), outside);
        assertThatThrownBy(() -> pins.pin("job-3-1-1", List.of(new Mount(link.toString(), "/data", true)), policy))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isTrue())
                .hasMessageContaining("changed since it was checked");
    }

    @Test
    void aDirectorySwappedForALinkOnceItWasCheckedIsNotMounted() throws Exception {
        var checked = List.of(new Mount(data.toRealPath().toString(), "/data", true));
        assertRefusedOnceSwapped(checked, data, outside);
    }

    @Test
    void aFileSwappedForALinkOnceItWasCheckedIsNotMounted() throws Exception {
        var checked = List.of(new Mount(data.toRealPath().toString(), "/data", true),
                new Mount(file.toRealPath().toString(), "/in", true));
        assertRefusedOnceSwapped(checked, file, outside.resolve("one-file"));
    }

    /** {@code swapped}, one of the checked paths, is made a link to {@code target}: the pin is the job's failure. */
    private void assertRefusedOnceSwapped(List<Mount> checked, Path swapped, Path target) throws IOException {
        Files.move(swapped, swapped.resolveSibling(swapped.getFileName() + ".before"));
        Files.createSymbolicLink(swapped, target);

        assertThatThrownBy(() -> pins.pinResolved("job-4-1-1", checked))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isTrue())
                .hasMessageContaining(swapped + " is no longer what was checked");
        assertNothingPinned();
    }

    @Test
    void thePinsOfAGoneAgentAreTakenAwayAndALiveOnesKept() throws Exception {
        Path left = Files.createDirectories(dir.resolve("pins").resolve("owner-" + Owners.thatExited().label())
                .resolve("job-6-1-1").resolve("0"));
        assertThat(MountPins.run(List.of("mount", "--bind", data.toString(), left.toString())).code()).isZero();
        try (PinnedMounts live = pins.pin("job-7-1-1", List.of(new Mount(data.toString(), "/data", true)), policy)) {
            assertThat(pins.sweep()).isEqualTo(1);

            assertThat(left.getParent().getParent()).as("the gone agent's directory").doesNotExist();
            assertThat(Files.readString(data.resolve("input"))).as("nothing removed through the pin").isEqualTo("allowed data");
            assertThat(Files.readString(Path.of(live.mounts().getFirst().hostPath()).resolve("input")))
                    .as("a live agent's pin").isEqualTo("allowed data");
        }
    }

    private void assertNothingPinned() throws IOException {
        try (var owners = Files.list(dir.resolve("pins"))) {
            for (Path owner : owners.toList()) {
                try (var sandboxes = Files.list(owner)) {
                    assertThat(sandboxes.toList()).as("pins left in %s", owner).isEmpty();
                }
            }
        }
        assertThat(Files.readString(outside.resolve("input"))).isEqualTo("not for jobs");
    }
}
