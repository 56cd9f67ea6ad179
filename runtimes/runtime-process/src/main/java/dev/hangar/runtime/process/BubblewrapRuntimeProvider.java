package dev.hangar.runtime.process;

import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProvider;
import dev.hangar.core.runtime.SandboxRuntime;

/** Registers the {@code process} runtime with {@link java.util.ServiceLoader}. */
public final class BubblewrapRuntimeProvider implements RuntimeProvider {
    @Override
    public String name() {
        return BubblewrapRuntime.NAME;
    }

    @Override
    public SandboxRuntime create(RuntimeContext context) {
        return new BubblewrapRuntime(context);
    }
}
