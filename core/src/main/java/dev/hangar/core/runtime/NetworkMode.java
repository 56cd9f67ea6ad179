package dev.hangar.core.runtime;

import dev.hangar.core.job.WorkloadProfile;

/** Network a sandbox can be given. Every runtime supports NONE, the default. */
public enum NetworkMode {
    NONE, HOST, BRIDGE;

    /**
     * The network a job of this profile is given on a runtime of these capabilities: none unless it
     * asks; for trusted code the host's where the runtime gives it, else one of its own; for
     * untrusted code never the host's, whose loopback reaches the node's own services (Hangar's API
     * among them), only one of its own.
     */
    public static NetworkMode of(WorkloadProfile profile, RuntimeCapabilities runtime) {
        if (!profile.needs().network()) {
            return NONE;
        }
        return profile.untrusted() || !runtime.supports(HOST) ? BRIDGE : HOST;
    }
}
