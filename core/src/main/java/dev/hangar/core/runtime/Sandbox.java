package dev.hangar.core.runtime;

import java.time.Instant;

/**
 * One instance of an image in a runtime. {@link #destroy()} releases everything it holds, and is
 * safe to call more than once and from any state.
 */
public interface Sandbox extends AutoCloseable {
    String id();

    String runtime();

    SandboxState state();

    Instant createdAt();

    /** Starts a process in the sandbox, its output flowing to {@code sink}. */
    SandboxProcess exec(ProcessSpec process, OutputSink sink) throws SandboxException;

    void destroy();

    @Override
    default void close() {
        destroy();
    }
}
