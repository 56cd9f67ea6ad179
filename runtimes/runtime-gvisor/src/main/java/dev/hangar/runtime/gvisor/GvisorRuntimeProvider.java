package dev.hangar.runtime.gvisor;

import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProvider;
import dev.hangar.core.runtime.SandboxRuntime;

/** Registers the {@code gvisor} runtime with {@link java.util.ServiceLoader}. */
public final class GvisorRuntimeProvider implements RuntimeProvider {
    @Override
    public String name() {
        return GvisorRuntime.NAME;
    }

    @Override
    public SandboxRuntime create(RuntimeContext context) {
        return new GvisorRuntime(context);
    }
}
