package dev.hangar.core.runtime;

/**
 * Entry point of a runtime driver, listed in
 * {@code META-INF/services/dev.hangar.core.runtime.RuntimeProvider}.
 */
public interface RuntimeProvider {
    String name();

    SandboxRuntime create(RuntimeContext context);
}
