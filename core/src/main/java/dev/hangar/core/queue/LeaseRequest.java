package dev.hangar.core.queue;

import java.time.Duration;

/**
 * An agent asking for work: who asks, how long it may hold the job before it must renew, and what
 * room it has left. The queue hands out only a job that fits.
 */
public record LeaseRequest(String workerId, Duration leaseFor, double freeCpus, long freeMemoryMb, int freeGpus) {}
