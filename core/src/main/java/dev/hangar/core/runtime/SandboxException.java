package dev.hangar.core.runtime;

/**
 * A runtime could not do what was asked: the sandbox, not the job's process, failed. Most often the
 * runtime is at fault (a broken install, a host out of some resource), and an agent that sees it
 * fail again and again stops using it for a while. When the job itself asked for what this runtime
 * cannot give (an image the node lacks, a network mode or a setting it refuses), the runtime says
 * so with {@link #causedByTheJob}: then the job fails, and no runtime is held to blame.
 */
public class SandboxException extends Exception {
    private final boolean causedByTheJob;

    public SandboxException(String message) {
        this(message, null, false);
    }

    public SandboxException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private SandboxException(String message, Throwable cause, boolean causedByTheJob) {
        super(message, cause);
        this.causedByTheJob = causedByTheJob;
    }

    /** The job's own spec made the sandbox fail: an image, a network mode or a setting this runtime cannot give it. */
    public static SandboxException causedByTheJob(String message, Throwable cause) {
        return new SandboxException(message, cause, true);
    }

    /** The job's own spec made the sandbox fail: an image, a network mode or a setting this runtime cannot give it. */
    public static SandboxException causedByTheJob(String message) {
        return new SandboxException(message, null, true);
    }

    /** Whether the job's own spec made the sandbox fail, rather than the runtime or the host. */
    public boolean isCausedByTheJob() {
        return causedByTheJob;
    }
}
