package dev.hangar.agent;

import dev.hangar.core.job.Resources;
import dev.hangar.core.queue.LeaseRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What this node has left for jobs; reserved when a job is leased, given back when it ends. GPUs
 * are handed out by device index, so a job gets exactly the devices it was counted for.
 */
final class Capacity {
    private final AgentConfig config;
    private final TreeSet<String> freeGpus;
    private double cpus;
    private long memoryMb;
    private int jobs;

    Capacity(AgentConfig config) {
        this.config = config;
        this.cpus = config.cpus();
        this.memoryMb = config.memoryMb();
        this.freeGpus = new TreeSet<>(java.util.Comparator.comparingInt(Integer::parseInt));
        this.freeGpus.addAll(config.gpus());
    }

    synchronized boolean hasRoom() {
        return jobs < config.maxJobs() && cpus > 0 && memoryMb > 0;
    }

    synchronized LeaseRequest request(String workerId, Duration leaseFor) {
        return new LeaseRequest(workerId, leaseFor, cpus, memoryMb, freeGpus.size());
    }

    /** Reserves the job's share; returns the GPU indices it is given. */
    synchronized List<String> reserve(Resources r) {
        if (r.gpus() > freeGpus.size()) {
            throw new IllegalStateException("job needs " + r.gpus() + " GPU(s), " + freeGpus.size() + " free");
        }
        var gpus = new ArrayList<String>(r.gpus());
        for (int i = 0; i < r.gpus(); i++) {
            gpus.add(freeGpus.pollFirst());
        }
        cpus -= r.cpus();
        memoryMb -= r.memoryMb();
        jobs++;
        return gpus;
    }

    synchronized void release(Resources r, List<String> gpus) {
        cpus += r.cpus();
        memoryMb += r.memoryMb();
        freeGpus.addAll(gpus);
        jobs--;
    }

    synchronized int running() {
        return jobs;
    }
}
