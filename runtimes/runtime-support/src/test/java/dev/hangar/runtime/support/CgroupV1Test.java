package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sandbox's groups in the cgroup v1 hierarchies of this host, made for real. */
class CgroupV1Test {
    private static Resources memory(long mb) {
        return new Resources(null, mb, null, null, null, null);
    }

    /** Directories standing for the three hierarchies, the memory group holding the files a kernel without swap accounting has. */
    @Test
    void withoutSwapAccountedTheGroupIsToldNotToSwapItsMemory(@TempDir Path dir) throws IOException {
        Path memory = Files.createDirectories(dir.resolve("memory/job"));
        Files.writeString(memory.resolve("memory.swappiness"), "60");
        CgroupV1.create(memory, dir.resolve("pids/job"), dir.resolve("cpu/job"), memory(64), 2);
        assertThat(Files.readString(memory.resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString(64L * 1024 * 1024));
        assertThat(Files.readString(memory.resolve("memory.swappiness"))).isEqualTo("0");
    }

    @Test
    void aPidsBoundAboveWhatTheKernelTakesIsNoBoundOfTheGroupsOwn(@TempDir Path dir) throws IOException {
        Path pids = dir.resolve("pids");
        CgroupV1.create(dir.resolve("memory/a"), pids.resolve("a"), dir.resolve("cpu/a"), pids(100), 2);
        assertThat(Files.readString(pids.resolve("a/pids.max"))).isEqualTo("102");
        CgroupV1.create(dir.resolve("memory/b"), pids.resolve("b"), dir.resolve("cpu/b"), pids(Integer.MAX_VALUE), 2);
        assertThat(Files.readString(pids.resolve("b/pids.max"))).as("not a negative sum either").isEqualTo("max");
    }

    @Test
    void theKernelTakesTheBoundOfAJobWithTheMostPidsASpecMayAskUnderGvisorsBackstop() throws IOException {
        Limiter limiter = Limiter.detect().orElse(null);
        assumeTrue(limiter != null, "this host has no writable cgroup hierarchy");
        String name = "hangar-test-" + UUID.randomUUID();
        // a million pids (SpecLimits' most) times gVisor's 16 tasks per process, and its 128: the kernel refused
        // it with EINVAL, and the node benched gVisor for the job's sake
        Cgroup group = limiter.create(name, pids(128 + 1_000_000 * 16));
        try {
            Path bound = limiter.parents().stream().map(parent -> parent.resolve(name).resolve("pids.max"))
                    .filter(Files::exists).findFirst().orElseThrow();
            assertThat(Files.readString(bound).strip()).isEqualTo("max");
        } finally {
            group.remove();
        }
    }

    private static Resources pids(int pids) {
        return new Resources(null, 64L, pids, null, null, null);
    }

    @Test
    void aGroupMadeAgainWithMoreMemoryTakesTheRaisedLimitWithSwapAccounted() throws IOException {
        Limiter limiter = Limiter.detect().orElse(null);
        assumeTrue(limiter instanceof Limiter.V1, "this host has no writable cgroup v1 hierarchy (it has "
                + (limiter == null ? "none" : limiter.describe()) + ")");
        Path memoryGroups = limiter.parents().getFirst();
        assumeTrue(Files.exists(memoryGroups.resolve("memory.memsw.limit_in_bytes")),
                "this host's kernel does not account swap in cgroup v1 (no memory.memsw.*)");
        String name = "hangar-test-" + UUID.randomUUID();
        Cgroup small = limiter.create(name, memory(512));
        try {
            // as a gVisor sandbox adopting a parked launcher's groups, made with the default 512 MiB, does
            limiter.create(name, memory(1024));

            long bytes = 1024L * 1024 * 1024;
            assertThat(Files.readString(memoryGroups.resolve(name).resolve("memory.limit_in_bytes")).trim())
                    .isEqualTo(Long.toString(bytes));
            assertThat(Files.readString(memoryGroups.resolve(name).resolve("memory.memsw.limit_in_bytes")).trim())
                    .isEqualTo(Long.toString(bytes));

            limiter.create(name, memory(256)); // and lowered again
            assertThat(Files.readString(memoryGroups.resolve(name).resolve("memory.memsw.limit_in_bytes")).trim())
                    .isEqualTo(Long.toString(256L * 1024 * 1024));
        } finally {
            small.remove();
        }
    }
}
