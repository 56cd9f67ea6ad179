package dev.hangar.runtime.podman;

import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProvider;
import dev.hangar.core.runtime.SandboxRuntime;

/** Registers the {@code podman} runtime with {@link java.util.ServiceLoader}. */
public final class PodmanRuntimeProvider implements RuntimeProvider {
    @Override
    public String name() {
        return PodmanRuntime.NAME;
    }

    @Override
    public SandboxRuntime create(RuntimeContext context) {
        return new PodmanRuntime(context);
    }
}
