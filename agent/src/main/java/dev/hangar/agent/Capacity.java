package dev.hangar.agent;

import dev.hangar.core.job.Resources;
import dev.hangar.core.queue.LeaseRequest;
import java.time.Duration;

/** What this node has left for jobs; reserved when a job is leased, given back when it ends. */
final class Capacity {
    private final AgentConfig config;
    private double cpus;
    private long memoryMb;
    private int gpus;
    private int jobs;

    Capacity(AgentConfig config) {
        this.config = config;
        this.cpus = config.cpus();
        this.memoryMb = config.memoryMb();
        this.gpus = config.gpus();
    }

    synchronized boolean hasRoom() {
        return jobs < config.maxJobs() && cpus > 0 && memoryMb > 0;
    }

    synchronized LeaseRequest request(String workerId, Duration leaseFor) {
        return new LeaseRequest(workerId, leaseFor, cpus, memoryMb, gpus);
    }

    synchronized void reserve(Resources r) {
        cpus -= r.cpus();
        memoryMb -= r.memoryMb();
        gpus -= r.gpus();
        jobs++;
    }

    synchronized void release(Resources r) {
        cpus += r.cpus();
        memoryMb += r.memoryMb();
        gpus += r.gpus();
        jobs--;
    }

    synchronized int running() {
        return jobs;
    }
}
