package dev.hangar.runtime.support;

import dev.hangar.core.job.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A control group another program made for a sandbox: the group a container engine gives one
 * container ({@code /libpod_parent/libpod-ID} under cgroupfs, {@code /machine.slice/libpod-ID.scope}
 * under systemd). Hangar reads its limit counters and may kill what runs in it; its maker sets its
 * limits and removes it.
 */
public final class EngineCgroup implements Cgroup {
    private final Path procs;
    private final Path memory;
    private final Path pids;
    private final boolean v1;
    private final Resources resources;

    private EngineCgroup(Path procs, Path memory, Path pids, boolean v1, Resources resources) {
        this.procs = procs;
        this.memory = memory;
        this.pids = pids;
        this.v1 = v1;
        this.resources = resources;
    }

    /**
     * The group at {@code path} from the root of each hierarchy, as {@code /proc/PID/cgroup} shows
     * it; empty if no hierarchy has it.
     */
    public static Optional<EngineCgroup> of(String path, Resources resources) {
        return of(CgroupMounts.read(), path, resources);
    }

    static Optional<EngineCgroup> of(CgroupMounts mounts, String path, Resources resources) {
        String relative = path.startsWith("/") ? path.substring(1) : path;
        if (relative.isEmpty()) {
            return Optional.empty();
        }
        if (mounts.hasV1("memory", "pids")) {
            Path memory = mounts.v1ByController().get("memory").resolve(relative);
            Path pids = mounts.v1ByController().get("pids").resolve(relative);
            if (Files.isDirectory(pids)) {
                return Optional.of(new EngineCgroup(pids.resolve("cgroup.procs"), memory, pids, true, resources));
            }
        }
        return mounts.v2().map(root -> root.resolve(relative)).filter(Files::isDirectory)
                .map(dir -> new EngineCgroup(dir.resolve("cgroup.procs"), dir, dir, false, resources));
    }

    /** Its directory (in cgroup v1, that of the pids hierarchy, which every process of it is in too). */
    public Path directory() {
        return procs.getParent();
    }

    @Override
    public List<Path> procsFiles() {
        return List.of(procs);
    }

    @Override
    public List<String> limitsHit() {
        if (v1) {
            return CgroupFiles.limitsHit(resources, CgroupFiles.number(memory.resolve("memory.failcnt")).orElse(0),
                    CgroupFiles.keyed(memory.resolve("memory.oom_control"), "oom_kill").orElse(0),
                    CgroupFiles.keyed(pids.resolve("pids.events"), "max").orElse(0));
        }
        Path events = memory.resolve("memory.events");
        return CgroupFiles.limitsHit(resources, CgroupFiles.keyed(events, "max").orElse(0),
                CgroupFiles.keyed(events, "oom_kill").orElse(0), CgroupFiles.keyed(pids.resolve("pids.events"), "max").orElse(0));
    }

    /** SIGKILLs every process in the group: its first one among them, which ends its pid namespace. */
    @Override
    public void killAll() {
        Path kill = procs.resolveSibling("cgroup.kill");
        if (!v1 && Files.exists(kill)) {
            try {
                CgroupFiles.write(kill, "1");
                return;
            } catch (IOException ignored) {
                // why: fall through to killing pid by pid
            }
        }
        CgroupFiles.killAll(procs);
    }

    /** True when no process is left in the group, or the group is gone. */
    public boolean isEmpty() {
        try {
            return Files.readString(procs).isBlank();
        } catch (IOException e) {
            return true;
        }
    }

    /** Does nothing: the engine that made the group removes it. */
    @Override
    public void remove() {}
}
