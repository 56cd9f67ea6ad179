package dev.hangar.agent;

/** Why the agent stops a job's process before it ends on its own. */
enum StopReason {
    CANCELLED,
    TIMED_OUT,
    /** The queue says another node has the job now, or that it is gone. */
    LEASE_LOST,
    /** This node could not renew the lease in time (the queue out of its reach); the queue may still hold it. */
    LEASE_RUNNING_OUT,
    AGENT_STOPPING
}
