package dev.hangar.runtime.kata;

import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProvider;
import dev.hangar.core.runtime.SandboxRuntime;

/** Registers the {@code kata} runtime with {@link java.util.ServiceLoader}. */
public final class KataRuntimeProvider implements RuntimeProvider {
    @Override
    public String name() {
        return KataRuntime.NAME;
    }

    @Override
    public SandboxRuntime create(RuntimeContext context) {
        return new KataRuntime(context);
    }
}
