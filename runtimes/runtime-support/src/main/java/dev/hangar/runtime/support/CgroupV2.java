package dev.hangar.runtime.support;

import dev.hangar.core.job.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A sandbox's group in the unified hierarchy. */
final class CgroupV2 implements Cgroup {
    private static final long CPU_PERIOD_US = 100_000;

    private final Path dir;
    private final Resources resources;

    private CgroupV2(Path dir, Resources resources) {
        this.dir = dir;
        this.resources = resources;
    }

    /** The job's pids limit is raised by {@code ownProcesses} (see {@link Limiter#create(String, Resources, int)}). */
    static CgroupV2 create(Path parent, String name, Resources resources, int ownProcesses) throws IOException {
        var group = new CgroupV2(parent.resolve(name), resources);
        try {
            Files.createDirectories(group.dir);
            CgroupFiles.write(group.dir.resolve("memory.max"), Long.toString(resources.memoryMb() * 1024 * 1024));
            Path swap = group.dir.resolve("memory.swap.max");
            if (Files.exists(swap)) {
                CgroupFiles.write(swap, "0");
            }
            CgroupFiles.write(group.dir.resolve("pids.max"),
                    CgroupFiles.pidsMax((long) resources.pids() + ownProcesses));
            long quota = Math.max(1000, (long) (resources.cpus() * CPU_PERIOD_US));
            CgroupFiles.write(group.dir.resolve("cpu.max"), quota + " " + CPU_PERIOD_US);
            return group;
        } catch (IOException e) {
            group.remove();
            throw e;
        }
    }

    @Override
    public List<Path> procsFiles() {
        return List.of(dir.resolve("cgroup.procs"));
    }

    @Override
    public List<String> limitsHit() {
        Path events = dir.resolve("memory.events");
        return CgroupFiles.limitsHit(resources, CgroupFiles.keyed(events, "max").orElse(0),
                CgroupFiles.keyed(events, "oom_kill").orElse(0),
                CgroupFiles.keyed(dir.resolve("pids.events"), "max").orElse(0));
    }

    @Override
    public void killAll() {
        Path kill = dir.resolve("cgroup.kill");
        try {
            if (Files.exists(kill)) {
                CgroupFiles.write(kill, "1");
                return;
            }
        } catch (IOException ignored) {
            // why: older kernels lack cgroup.kill; fall through to killing pid by pid
        }
        CgroupFiles.killAll(dir.resolve("cgroup.procs"));
    }

    @Override
    public void remove() {
        CgroupFiles.removeDirs(List.of(dir));
    }
}
