package dev.hangar.runtime.support;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/** Small helpers for reading and writing cgroup control files. */
final class CgroupFiles {
    private CgroupFiles() {}

    /** The most pids.max takes (the kernel's PID_MAX_LIMIT on 64-bit): it refuses a larger bound with EINVAL. */
    static final long KERNEL_MOST_PIDS = 4L * 1024 * 1024;

    static void write(Path file, String value) throws IOException {
        Files.writeString(file, value);
    }

    /**
     * What pids.max is given for a bound of {@code pids}: "max" (no bound of the group's own) above what
     * the kernel takes, where no host could hold that many tasks anyway ({@link HostTaskBound} bounds the
     * groups of all sandboxes together below what this host can hold). Why: a job's large pids limit
     * (gVisor's backstop multiplies it) failed the group's making as the runtime's fault, and the node
     * benched the runtime.
     */
    static String pidsMax(long pids) {
        return pids > KERNEL_MOST_PIDS ? "max" : Long.toString(pids);
    }

    /** The number after {@code key} in a flat-keyed file such as memory.events ("oom_kill 1"). */
    static OptionalLong keyed(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[0].equals(key)) {
                    return OptionalLong.of(Long.parseLong(parts[1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    static OptionalLong number(Path file) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Readable limits a group reached, from its counters. */
    static List<String> limitsHit(Resources resources, long memoryHits, long oomKills, long forksRefused) {
        var hits = new ArrayList<String>();
        if (oomKills > 0) {
            hits.add("memory limit " + resources.memoryMb() + " MiB reached (OOM kill)");
        } else if (memoryHits > 0) {
            // why said apart: at its limit the kernel first reclaims memory (page cache, say), which a job may never notice
            hits.add(ExitStatus.memoryReclaimed(resources.memoryMb(), memoryHits));
        }
        if (forksRefused > 0) {
            hits.add("pids limit " + resources.pids() + " reached (" + forksRefused + " forks refused)");
        }
        return hits;
    }

    static void killAll(Path procs) {
        try {
            for (String pid : Files.readAllLines(procs)) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // why: the group may already be gone, which is what we want
        }
    }

    /** rmdir, retried briefly: the kernel frees a group only after its last task is reaped. */
    static void removeDirs(List<Path> dirs) {
        for (Path dir : dirs) {
            for (int i = 0; i < 50 && Files.exists(dir); i++) {
                try {
                    Files.delete(dir);
                } catch (IOException e) {
                    sleepQuietly(20);
                }
            }
        }
    }

    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
