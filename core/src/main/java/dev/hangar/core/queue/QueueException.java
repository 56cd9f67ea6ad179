package dev.hangar.core.queue;

/** The backend failed (storage unreachable, corrupt); the operation did not happen. */
public class QueueException extends RuntimeException {
    public QueueException(String message, Throwable cause) {
        super(message, cause);
    }
}
