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

    public boolean success() {
        return code == 0;
    }
}
