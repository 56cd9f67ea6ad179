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

    /**
     * Starts a process in the sandbox, its output flowing to {@code sink}. In a prestarted sandbox
     * the launcher starts it: no runtime command runs, so it starts in about a millisecond.
     */
    SandboxProcess exec(ProcessSpec process, OutputSink sink) throws SandboxException;

    /**
     * Starts the sandbox's in-sandbox launcher now, ahead of any job, for a warm pool: it waits for
     * one process and starts it on {@link #exec}, streaming its output and reporting its exit code
     * just as a cold exec does. The sandbox holds its resources (memory, a runtime process) from
     * here on. Only where {@link SandboxRuntime#prestarts()}.
     */
    default void prestart() throws SandboxException {
        throw new SandboxException("a " + runtime() + " sandbox cannot be started ahead of a job");
    }

    /**
     * Whether a prestarted sandbox can still serve its job: false once its launcher has died (killed,
     * out of memory) or was used, and for a sandbox that was never prestarted.
     */
    default boolean launcherReady() {
        return false;
    }

    void destroy();

    @Override
    default void close() {
        destroy();
    }
}
