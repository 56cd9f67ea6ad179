package dev.hangar.core.queue;

/**
 * The backend failed (storage unreachable, corrupt); the operation did not happen, but for an
 * {@link UnconfirmedWriteException}.
 */
public class QueueException extends RuntimeException {
    public QueueException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Logs a failure of {@code what} at WARNING: the queue out of reach in one line (an outage
     * fails every call alike, each second, and its stack traces would bury the rest of the log),
     * anything else with its stack trace.
     */
    public static void warn(System.Logger log, String what, Throwable failure) {
        if (failure instanceof QueueException) {
            log.log(System.Logger.Level.WARNING, what + ": " + failure.getMessage());
        } else {
            log.log(System.Logger.Level.WARNING, what, failure);
        }
    }
}
