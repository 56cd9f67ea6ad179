package dev.hangar.agent;

/** Why the agent stops a job's process before it ends on its own. */
enum StopReason {
    CANCELLED, TIMED_OUT, LEASE_LOST, AGENT_STOPPING
}
