package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bound on the tasks of all of Hangar's sandboxes on a host, against directories standing for the kernel's and the group's files, and on this host. */
class HostTaskBoundTest {
    @TempDir
    Path dir;

    private Path kernel(long pidMax, long threadsMax) throws IOException {
        Path kernel = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(kernel.resolve("pid_max"), pidMax + "\n");
        Files.writeString(kernel.resolve("threads-max"), threadsMax + "\n");
        return kernel;
    }

    private Path group(String pidsMax) throws IOException {
        Path group = Files.createDirectories(dir.resolve("hangar"));
        Files.writeString(group.resolve("pids.max"), pidsMax + "\n");
        return group;
    }

    private static String pidsMax(Path group) throws IOException {
        return Files.readString(group.resolve("pids.max")).strip();
    }

    @Test
    void anUnboundedGroupIsBoundAtThreeQuartersOfTheLesserOfTheHostsPidsAndTasks() throws IOException {
        Path group = group("max");
        HostTaskBound.apply(group, kernel(32768, 192735));
        assertThat(pidsMax(group)).isEqualTo("24576");

        Path other = Files.createDirectories(dir.resolve("other"));
        Files.writeString(other.resolve("pids.max"), "max");
        HostTaskBound.apply(other, kernel(4194304, 192735));
        assertThat(pidsMax(other)).isEqualTo(Long.toString(192735 / 4 * 3));
    }

    @Test
    void aLowerBoundAnOperatorSetIsKeptAndAHigherOneLowered() throws IOException {
        Path group = group("1000");
        HostTaskBound.apply(group, kernel(32768, 192735));
        assertThat(pidsMax(group)).isEqualTo("1000");

        Files.writeString(group.resolve("pids.max"), "30000");
        HostTaskBound.apply(group, kernel(32768, 192735));
        assertThat(pidsMax(group)).isEqualTo("24576");
    }

    @Test
    void aHostThatTellsNoFiguresLeavesTheGroupAsItWas() throws IOException {
        Path group = group("max");
        HostTaskBound.apply(group, dir.resolve("no-such-kernel"));
        assertThat(pidsMax(group)).isEqualTo("max");
    }

    @Test
    void onThisHostEverySandboxGroupOfHangarIsBoundBelowWhatTheHostCanHold() throws IOException {
        Limiter limiter = Limiter.detect().orElse(null);
        assumeTrue(limiter != null, "this host has no writable cgroup hierarchy");
        long host = Math.min(HostTaskBound.number(HostTaskBound.KERNEL.resolve("pid_max")),
                HostTaskBound.number(HostTaskBound.KERNEL.resolve("threads-max")));
        assertThat(host).as("the host's figures, read whole").isGreaterThan(1000);

        String bound = pidsMax(limiter.pidsRoot());
        assertThat(bound).as("a fork bomb of jobs asking the most pids would take the host's last ones")
                .isNotEqualTo("max");
        assertThat(Long.parseLong(bound)).isLessThanOrEqualTo(host / 4 * 3);
    }
}
