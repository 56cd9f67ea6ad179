package dev.hangar.core.runtime;

import java.util.Set;

/**
 * What a runtime can do, as flags a selection rule can read. Static facts of the driver; what the
 * host really delivered is in {@link RuntimeProbe}.
 */
public record RuntimeCapabilities(
        Isolation isolation,
        BootClass bootClass,
        long memoryFloorMb,
        Threading threading,
        boolean fork,
        boolean fullSyscalls,
        boolean gpu,
        boolean snapshot,
        boolean virtioFs,
        boolean discard,
        boolean freePageReporting,
        Set<NetworkMode> networkModes) {

    public RuntimeCapabilities {
        networkModes = Set.copyOf(networkModes);
    }

    public boolean supports(NetworkMode mode) {
        return networkModes.contains(mode);
    }

    /** Whether it can give a job that asks for a network one: the host's or a bridged one. */
    public boolean givesNetwork() {
        return supports(NetworkMode.HOST) || supports(NetworkMode.BRIDGE);
    }
}
