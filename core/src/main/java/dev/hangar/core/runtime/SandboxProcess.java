package dev.hangar.core.runtime;

import java.util.concurrent.CompletableFuture;

/** A process running in a sandbox. */
public interface SandboxProcess {
    /** Completes when the process and everything it started have ended and output is drained. */
    CompletableFuture<ExitStatus> exit();

    /** Kills the process and every process it started in the sandbox. Idempotent. */
    void kill();
}
