package dev.hangar.core.queue;

/** What renewing a lease found. */
public enum LeaseStatus {
    /** Still yours; carry on. */
    HELD,
    /** Still yours, but someone asked to cancel the job: stop it and finish it as CANCELLED. */
    CANCEL_REQUESTED,
    /** No longer yours (expired and given to another worker, or finished): stop and record nothing. */
    LOST
}
