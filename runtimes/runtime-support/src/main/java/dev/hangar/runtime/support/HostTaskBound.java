package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bounds the tasks that every sandbox group of Hangar on this host may hold together, at three
 * quarters of what the host can hold (the lesser of {@code kernel.pid_max} and {@code
 * kernel.threads-max}). Why: a job's own pids limit may be as large as a spec allows (and gVisor's
 * backstop multiplies it), so a fork bomb of one job, or of a few at once, could otherwise take
 * the host's last pids, and the agent, sshd and the rest of the node could fork no more. The
 * quarter left is the node's own.
 */
final class HostTaskBound {
    private static final System.Logger LOG = System.getLogger(HostTaskBound.class.getName());
    static final Path KERNEL = Path.of("/proc/sys/kernel");

    private HostTaskBound() {}

    /** The bound for a host of {@code pidMax} pids and {@code threadsMax} tasks. */
    static long of(long pidMax, long threadsMax) {
        return Math.max(1, Math.min(pidMax, threadsMax) / 4 * 3);
    }

    /**
     * Writes the bound into {@code hangarPids}, the pids group above every owner's groups, unless it
     * holds a lower one (an operator's). A host that tells no figures, or a group that takes no bound,
     * leaves the groups as they were, with a warning: each sandbox still has its own limit.
     */
    static void apply(Path hangarPids, Path kernel) {
        try {
            long bound = of(number(kernel.resolve("pid_max")), number(kernel.resolve("threads-max")));
            Path max = hangarPids.resolve("pids.max");
            String now = Files.exists(max) ? Files.readString(max).strip() : "max";
            if (now.equals("max") || Long.parseLong(now) > bound) {
                CgroupFiles.write(max, Long.toString(bound));
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not bound the tasks of all sandboxes at a share of the host's"
                    + " (" + hangarPids + "): a fork bomb with a large pids limit may use up the host's pids", e);
        }
    }

    /**
     * The number a {@code /proc/sys} file holds. Why by lines: such a file tells no size, and read whole
     * ({@code Files.readString}) this JDK got only its first byte ("3" of "32768").
     */
    static long number(Path file) throws IOException {
        return Long.parseLong(Files.readAllLines(file).getFirst().strip());
    }
}
