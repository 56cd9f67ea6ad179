package dev.hangar.runtime.support;

import dev.hangar.core.job.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A sandbox's groups in the legacy per-controller hierarchies (memory, pids, cpu). */
final class CgroupV1 implements Cgroup {
    private static final long CFS_PERIOD_US = 100_000;

    private final Path memory;
    private final Path pids;
    private final Path cpu;
    private final Resources resources;

    private CgroupV1(Path memory, Path pids, Path cpu, Resources resources) {
        this.memory = memory;
        this.pids = pids;
        this.cpu = cpu;
        this.resources = resources;
    }

    /** The job's pids limit is raised by {@code ownProcesses} (see {@link Limiter#create(String, Resources, int)}). */
    static CgroupV1 create(Path memory, Path pids, Path cpu, Resources resources, int ownProcesses) throws IOException {
        var group = new CgroupV1(memory, pids, cpu, resources);
        try {
            Files.createDirectories(group.memory);
            Files.createDirectories(group.pids);
            Files.createDirectories(group.cpu);
            group.limitMemory(resources.memoryMb() * 1024 * 1024);
            CgroupFiles.write(group.pids.resolve("pids.max"),
                    CgroupFiles.pidsMax((long) resources.pids() + ownProcesses));
            CgroupFiles.write(group.cpu.resolve("cpu.cfs_period_us"), Long.toString(CFS_PERIOD_US));
            CgroupFiles.write(group.cpu.resolve("cpu.cfs_quota_us"),
                    Long.toString(Math.max(1000, (long) (resources.cpus() * CFS_PERIOD_US))));
            return group;
        } catch (IOException e) {
            group.remove();
            throw e;
        }
    }

    /**
     * Memory and memory+swap both to {@code bytes}; without a swap limit the kernel would swap instead
     * of enforcing the limit. The kernel keeps memory at or below memory+swap at every step, so a
     * limit raised (a group made before, e.g. a parked launcher's, now adopted) sets memory+swap first.
     * A kernel that does not account swap (no memory.memsw.*) is told not to swap the group's memory
     * at all (swappiness 0), so that a memory bomb meets its limit rather than the host's swap.
     */
    private void limitMemory(long bytes) throws IOException {
        Path limit = memory.resolve("memory.limit_in_bytes");
        Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
        boolean swapAccounted = Files.exists(memsw);
        boolean raising = swapAccounted && bytes > CgroupFiles.number(limit).orElse(Long.MAX_VALUE);
        if (raising) {
            CgroupFiles.write(memsw, Long.toString(bytes));
        }
        CgroupFiles.write(limit, Long.toString(bytes));
        if (swapAccounted && !raising) {
            CgroupFiles.write(memsw, Long.toString(bytes));
        }
        Path swappiness = memory.resolve("memory.swappiness");
        if (!swapAccounted && Files.exists(swappiness)) {
            CgroupFiles.write(swappiness, "0");
        }
    }

    @Override
    public List<Path> procsFiles() {
        return List.of(memory.resolve("cgroup.procs"), pids.resolve("cgroup.procs"), cpu.resolve("cgroup.procs"));
    }

    @Override
    public List<String> limitsHit() {
        return CgroupFiles.limitsHit(resources, CgroupFiles.number(memory.resolve("memory.failcnt")).orElse(0),
                CgroupFiles.keyed(memory.resolve("memory.oom_control"), "oom_kill").orElse(0),
                CgroupFiles.keyed(pids.resolve("pids.events"), "max").orElse(0));
    }

    @Override
    public void killAll() {
        CgroupFiles.killAll(pids.resolve("cgroup.procs"));
    }

    @Override
    public void remove() {
        CgroupFiles.removeDirs(List.of(memory, pids, cpu));
    }
}
