package dev.hangar.core.queue;

/**
 * A write the queue made but could not confirm as durable (fewer replicas held it than asked): unlike
 * other queue failures it may have happened, so a caller retries it under its idempotency key, or
 * looks for what it made, rather than making it again.
 */
public class UnconfirmedWriteException extends QueueException {
    /** What a caller who did not see the queue's own words is told of such a write. */
    public static final String TOLD = "the job queue took the change but could not confirm it is safe from a failover;"
            + " it may have been made: retry with the same idempotencyKey (a submit), or look before making it again";

    public UnconfirmedWriteException(String message) {
        super(message, null);
    }
}
