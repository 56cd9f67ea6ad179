package dev.hangar.core.runtime;

/** A runtime could not do what was asked: the sandbox, not the job, failed. */
public class SandboxException extends Exception {
    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
