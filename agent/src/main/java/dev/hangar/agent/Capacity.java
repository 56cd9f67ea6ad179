package dev.hangar.agent;

import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.Resources;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.RuntimeStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What this node has left for jobs; reserved when a job is leased, given back when it ends. GPUs
 * are handed out by device number (/dev/nvidiaN), so a job gets exactly the devices it was counted for, and claimed
 * host-wide ({@link GpuClaims}): the free GPUs a lease request offers are claimed for the lease call, so that a job
 * leased for them has them (another node of the host offers none of them meanwhile), and those its job does not take
 * are let go after the call.
 */
final class Capacity {
    private final AgentConfig config;
    private final TreeSet<String> freeGpus;
    private final GpuClaims claims;
    /** Free GPUs claimed for the lease call under way: what its request offered. */
    private final TreeSet<String> offeredGpus;
    /** In thousandths of a CPU: sums of doubles drift (0.7 + 0.3 + 0.1 given back in another order is not 1.1 off). */
    private long milliCpus;
    private long memoryMb;
    private int jobs;

    /**
     * The most CPUs one job may take here, in thousandths: the cores, or what jobs may reserve if fewer. Why in the
     * lease request: CPUs may be reserved four times over the cores, and a node of 4 cores, asking with 16 free,
     * leased a job of 8 that a node of 32 could run, which then got at most half of what it asked for.
     */
    private final long jobMilliCpusBound;

    Capacity(AgentConfig config) {
        this(config, Runtime.getRuntime().availableProcessors(), new GpuClaims(GpuClaims.HOST_WIDE));
    }

    Capacity(AgentConfig config, int cores, GpuClaims claims) {
        this.config = config;
        this.claims = claims;
        this.jobMilliCpusBound = Math.min(milli(cores), milli(config.cpus()));
        this.milliCpus = milli(config.cpus());
        this.memoryMb = config.memoryMb();
        this.freeGpus = new TreeSet<>(java.util.Comparator.comparingInt(Integer::parseInt));
        this.freeGpus.addAll(config.gpus());
        this.offeredGpus = new TreeSet<>(freeGpus.comparator());
    }

    synchronized boolean hasRoom() {
        return jobs < config.maxJobs() && milliCpus > 0 && memoryMb > 0;
    }

    /**
     * A lease request for what is left, naming the runtimes this node has usable; the free GPUs it offers are claimed
     * until {@link #letGoOfOfferedGpus}.
     */
    synchronized LeaseRequest request(String workerId, Duration leaseFor, List<RuntimeStatus> runtimes) {
        List<RuntimeStatus> usable = runtimes.stream().filter(r -> r.probe().available()).toList();
        double jobCpus = Math.min(milliCpus, jobMilliCpusBound) / 1000.0;
        Set<String> passingGpus = usable.stream().filter(r -> r.capabilities().gpu()).map(RuntimeStatus::name)
                .collect(Collectors.toSet());
        // why only with a runtime that passes GPUs: claimed for nothing, they would be hidden from a node that has one
        for (String gpu : passingGpus.isEmpty() && !runtimes.isEmpty() ? Set.<String>of() : freeGpus) {
            if (!offeredGpus.contains(gpu) && claims.claim(gpu)) {
                offeredGpus.add(gpu);
            }
        }
        return new LeaseRequest(workerId, leaseFor, jobCpus, memoryMb, offeredGpus.size(),
                usable.stream().map(RuntimeStatus::name).collect(Collectors.toSet()),
                usable.stream().filter(r -> r.capabilities().isolation().atLeast(Isolation.SOFTWARE_KERNEL))
                        .map(RuntimeStatus::name).collect(Collectors.toSet()))
                .passingGpusOn(passingGpus)
                .withMemoryFloors(usable.stream().filter(r -> r.capabilities().memoryFloorMb() > 0)
                        .collect(Collectors.toMap(RuntimeStatus::name, r -> r.capabilities().memoryFloorMb())));
    }

    synchronized NodeStatus.Load load() {
        return new NodeStatus.Load(jobs, cpus(), memoryMb, claimableGpus());
    }

    /** This node's free GPUs that no other node of the host has claimed. */
    private int claimableGpus() {
        return (int) freeGpus.stream().filter(gpu -> !claims.takenElsewhere(gpu)).count();
    }

    /**
     * Reserves the job's share and {@code gpuCount} GPUs, the lowest of those its lease request offered (a lease
     * hands out no job that needs more); returns the GPU indices it is given.
     */
    synchronized List<String> reserve(Resources r, int gpuCount) {
        if (gpuCount > offeredGpus.size()) {
            throw new IllegalStateException("job needs " + gpuCount + " GPU(s), " + offeredGpus.size() + " offered");
        }
        List<String> gpus = List.copyOf(new ArrayList<>(offeredGpus).subList(0, gpuCount));
        offeredGpus.removeAll(gpus);
        freeGpus.removeAll(gpus);
        milliCpus -= milli(r.cpus());
        memoryMb -= r.memoryMb();
        jobs++;
        return gpus;
    }

    synchronized void release(Resources r, List<String> gpus) {
        milliCpus += milli(r.cpus());
        memoryMb += r.memoryMb();
        gpus.forEach(claims::free);
        freeGpus.addAll(gpus);
        jobs--;
    }

    /** Lets go of the GPUs claimed for a lease call that its job, if any, did not take. */
    synchronized void letGoOfOfferedGpus() {
        offeredGpus.forEach(claims::free);
        offeredGpus.clear();
    }

    /** Free CPUs as a job's spec gives them: 0.3 left is the double a job asking for 0.3 holds. */
    private double cpus() {
        return milliCpus / 1000.0;
    }

    private static long milli(double cpus) {
        return Math.round(cpus * 1000);
    }

    /** The node's memory that jobs have not reserved; warm pools hold theirs within it. */
    synchronized long memoryLeftMb() {
        return memoryMb;
    }

    synchronized int running() {
        return jobs;
    }
}
