package dev.hangar.core.runtime;

import java.util.List;

/**
 * How a sandboxed process ended.
 *
 * @param code       exit code, or 128 + signal number when killed
 * @param limitsHit  limits the sandbox reached while it ran, e.g. "memory limit 64 MiB (OOM kill)"
 */
public record ExitStatus(int code, List<String> limitsHit) {
    public ExitStatus {
        limitsHit = List.copyOf(limitsHit);
    }

    /** How a hit that stopped nothing ends: the kernel reclaimed memory (page cache, say) at the limit. */
    private static final String RECLAIMED = " (memory was reclaimed; no OOM kill)";

    /** The words for a memory limit reached {@code hits} times with nothing killed, which a job may never notice. */
    public static String memoryReclaimed(long memoryMb, long hits) {
        return "memory limit " + memoryMb + " MiB reached " + hits + (hits == 1 ? " time" : " times") + RECLAIMED;
    }

    public boolean success() {
        return code == 0;
    }

    /** Whether a limit stopped part of the work (an OOM kill, forks refused), not just memory reclaimed at it. */
    public boolean stoppedAtALimit() {
        return limitsHit.stream().anyMatch(hit -> !hit.endsWith(RECLAIMED));
    }
}
