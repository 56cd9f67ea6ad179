package dev.hangar.core.select;

import java.util.Map;

/**
 * The READY warm sandboxes this node holds for one job spec, per runtime: a job that takes one skips
 * the boot, so a runtime with one ready starts the job fastest. Empty when the node keeps no pools.
 */
public record WarmPools(Map<String, Integer> readyByRuntime) {
    public WarmPools {
        readyByRuntime = readyByRuntime == null ? Map.of() : Map.copyOf(readyByRuntime);
    }

    public static WarmPools none() {
        return new WarmPools(Map.of());
    }

    public int ready(String runtime) {
        return Math.max(0, readyByRuntime.getOrDefault(runtime, 0));
    }
}
