package dev.hangar.runtime.support;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;

/**
 * A prestarted sandbox's launcher (see {@link LauncherScript}), waiting for its one job.
 *
 * @param <P> the driver's process type, which the job becomes
 */
public interface WaitingLauncher<P extends SandboxProcess> {
    /** Whether it still waits: false once it has died (killed from outside, out of memory). */
    boolean alive();

    /** Hands it the job: output flows to {@code sink} from now on. Called once. */
    P run(ProcessSpec process, OutputSink sink) throws SandboxException;

    /** Completes once it waits for its job (see {@link LauncherScript#READY}). */
    java.util.concurrent.CompletableFuture<Void> ready();

    /** Kills it if it never got a job; the sandbox then releases the rest. */
    void discard();
}
