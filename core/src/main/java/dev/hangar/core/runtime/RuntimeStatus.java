package dev.hangar.core.runtime;

/** A runtime as a node sees it: its capabilities and what the probe found. */
public record RuntimeStatus(String name, String description, RuntimeCapabilities capabilities, RuntimeProbe probe) {
    public static RuntimeStatus of(SandboxRuntime runtime, RuntimeProbe probe) {
        return new RuntimeStatus(runtime.name(), runtime.description(), runtime.capabilities(), probe);
    }
}
