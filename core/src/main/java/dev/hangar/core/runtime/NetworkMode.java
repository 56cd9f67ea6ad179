package dev.hangar.core.runtime;

import dev.hangar.core.job.WorkloadProfile;

/** Network a sandbox can be given. Every runtime supports NONE, the default. */
public enum NetworkMode {
    NONE, HOST, BRIDGE;

    /**
     * The network a job of this profile is given: none unless it asks; untrusted code never the
     * host's, whose loopback reaches the node's own services (Hangar's API among them), only a
     * network of its own.
     */
    public static NetworkMode of(WorkloadProfile profile) {
        if (!profile.needs().network()) {
            return NONE;
        }
        return profile.untrusted() ? BRIDGE : HOST;
    }
}
