package dev.hangar.core.queue;

import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.NodeLabels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * An agent asking for work: who asks, how long it may hold the job before it must renew, what room
 * it has left, and what it can give a job: runtimes, a network, images, mounts. The queue hands out only a
 * job that fits, so a job that this node cannot run stays queued for one that can.
 *
 * @param workerId               the name of the node asking: the job leased names it as its node from then on
 *
 * @param runtimes               the runtimes this worker runs jobs on; empty when it does not say
 *                               (then a job's runtime, trust and network needs are taken to fit)
 * @param kernelBoundaryRuntimes those of them that put a kernel boundary (software kernel or VM)
 *                               round a job, as untrusted code needs
 * @param networkRuntimes        those of them that may give a job's sandbox a network; all of them when it
 *                               does not say
 * @param gpuRuntimes            those of them that can pass GPUs through to a job's sandbox; all of them
 *                               when it does not say
 * @param images                 the images it has; empty when it does not say (then any image is taken to fit)
 * @param mountRoots             the host paths under which it lets a job mount, matched by name
 *                               ({@link MountPolicy#byName}); {@code /} when it does not say
 * @param memoryFloorsMb         the least memory a job must ask for to run on each of its runtimes
 *                               (a VM's or gVisor's floor); a runtime not named has none
 * @param labels                 the node's labels ({@link NodeLabels}): a job with a {@code nodeSelector} fits only
 *                               a worker that has each label it names, with that value
 */
public record LeaseRequest(String workerId, Duration leaseFor, double freeCpus, long freeMemoryMb, int freeGpus,
        Set<String> runtimes, Set<String> kernelBoundaryRuntimes, Set<String> networkRuntimes, Set<String> gpuRuntimes,
        Set<String> images, Set<String> mountRoots, Map<String, Long> memoryFloorsMb, Map<String, String> labels) {
    /** The roots of a worker that does not say where it lets jobs mount: any host path fits. */
    public static final Set<String> ANY_PATH = Set.of("/");

    public LeaseRequest {
        runtimes = runtimes == null ? Set.of() : Set.copyOf(runtimes);
        kernelBoundaryRuntimes = kernelBoundaryRuntimes == null ? Set.of() : Set.copyOf(kernelBoundaryRuntimes);
        networkRuntimes = networkRuntimes == null ? Set.of() : Set.copyOf(networkRuntimes);
        gpuRuntimes = gpuRuntimes == null ? Set.of() : Set.copyOf(gpuRuntimes);
        images = images == null ? Set.of() : Set.copyOf(images);
        mountRoots = mountRoots == null ? ANY_PATH
                : mountRoots.stream().map(MountPolicy::byName).collect(Collectors.toUnmodifiableSet());
        memoryFloorsMb = memoryFloorsMb == null ? Map.of() : Map.copyOf(memoryFloorsMb);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A worker that does not say which runtimes it has, nor whether it gives a network, nor its images or mounts. */
    public LeaseRequest(String workerId, Duration leaseFor, double freeCpus, long freeMemoryMb, int freeGpus) {
        this(workerId, leaseFor, freeCpus, freeMemoryMb, freeGpus, Set.of(), Set.of());
    }

    /**
     * A worker that says which runtimes it has, and not whether they give a network or pass GPUs
     * through, nor its images or mounts.
     */
    public LeaseRequest(String workerId, Duration leaseFor, double freeCpus, long freeMemoryMb, int freeGpus,
            Set<String> runtimes, Set<String> kernelBoundaryRuntimes) {
        this(workerId, leaseFor, freeCpus, freeMemoryMb, freeGpus, runtimes, kernelBoundaryRuntimes, runtimes, runtimes,
                Set.of(), ANY_PATH, Map.of(), Map.of());
    }

    /**
     * The same request from a worker that can give a network only on {@code networkRuntimes} (of its
     * runtimes) and has only these images.
     */
    public LeaseRequest offering(Set<String> networkRuntimes, Set<String> images) {
        return new LeaseRequest(workerId, leaseFor, freeCpus, freeMemoryMb, freeGpus, runtimes, kernelBoundaryRuntimes,
                networkRuntimes, gpuRuntimes, images, mountRoots, memoryFloorsMb, labels);
    }

    /** The same request from a worker that lets jobs mount only host paths under these roots. */
    public LeaseRequest mountingUnder(Set<String> roots) {
        return new LeaseRequest(workerId, leaseFor, freeCpus, freeMemoryMb, freeGpus, runtimes, kernelBoundaryRuntimes,
                networkRuntimes, gpuRuntimes, images, roots, memoryFloorsMb, labels);
    }

    /** The same request from a worker that can pass GPUs through only on {@code gpuRuntimes} (of its runtimes). */
    public LeaseRequest passingGpusOn(Set<String> gpuRuntimes) {
        return new LeaseRequest(workerId, leaseFor, freeCpus, freeMemoryMb, freeGpus, runtimes, kernelBoundaryRuntimes,
                networkRuntimes, gpuRuntimes, images, mountRoots, memoryFloorsMb, labels);
    }

    /** The same request from a worker whose runtimes need at least this much memory of a job (by runtime). */
    public LeaseRequest withMemoryFloors(Map<String, Long> memoryFloorsMb) {
        return new LeaseRequest(workerId, leaseFor, freeCpus, freeMemoryMb, freeGpus, runtimes, kernelBoundaryRuntimes,
                networkRuntimes, gpuRuntimes, images, mountRoots, memoryFloorsMb, labels);
    }

    /** The same request from a worker on a node with these labels. */
    public LeaseRequest labelled(Map<String, String> nodeLabels) {
        return new LeaseRequest(workerId, leaseFor, freeCpus, freeMemoryMb, freeGpus, runtimes, kernelBoundaryRuntimes,
                networkRuntimes, gpuRuntimes, images, mountRoots, memoryFloorsMb, nodeLabels);
    }

    /**
     * Whether every job fits this worker as far as its runtimes, network, images, mounts and labels go (only
     * room is asked; a job that selects nodes by label fits no worker without labels).
     */
    public boolean saysNothingOfWhatItHas() {
        return runtimes.isEmpty() && images.isEmpty() && mountRoots.equals(ANY_PATH) && labels.isEmpty();
    }

    /** Whether this worker's node is one the job's {@code nodeSelector} asks for (any node, for an empty one). */
    public boolean hasLabelsFor(Map<String, String> nodeSelector) {
        return NodeLabels.matches(nodeSelector, labels);
    }

    /** This request, if a backend can serve it: it names its worker and asks for a positive lease. */
    public LeaseRequest validated() {
        if (workerId == null || workerId.isBlank()) {
            throw new IllegalArgumentException("a lease request needs a workerId");
        }
        if (leaseFor == null || leaseFor.isNegative() || leaseFor.isZero()) {
            throw new IllegalArgumentException("leaseFor must be positive, got " + leaseFor);
        }
        return this;
    }

    /**
     * Whether this worker has a runtime the job may run on: the one the job pins, if it pins one; for
     * untrusted code one behind a kernel boundary; for a job that needs a network one that can give it;
     * for a job that needs a GPU one that can pass it through; and one whose memory floor the job's
     * memory meets. One runtime must be all of these, so that a node does not lease a job its own
     * selection would then refuse for good while another node could run it. The node's full selection
     * still runs once the job is leased.
     */
    public boolean hasRuntimeFor(String pinnedRuntime, boolean untrusted, boolean needsNetwork, boolean needsGpu,
            long memoryMb) {
        if (runtimes.isEmpty()) {
            return true;
        }
        Predicate<String> gives = name -> (!untrusted || kernelBoundaryRuntimes.contains(name))
                && (!needsNetwork || networkRuntimes.contains(name)) && (!needsGpu || gpuRuntimes.contains(name))
                && memoryMb >= memoryFloorsMb.getOrDefault(name, 0L);
        return pinnedRuntime == null
                ? runtimes.stream().anyMatch(gives)
                : runtimes.contains(pinnedRuntime) && gives.test(pinnedRuntime);
    }

    /**
     * Whether this worker lets a job mount each of these host paths (as {@link MountPolicy#byName}
     * gives them): each lies under one of its roots. The node checks the path itself once leased.
     */
    public boolean hasMountsFor(List<String> hostPaths) {
        return mountRoots.contains("/") || hostPaths.stream()
                .allMatch(path -> mountRoots.stream().anyMatch(root -> path.equals(root) || path.startsWith(root + "/")));
    }

    /** Whether this worker has the job's image; a job that names none fits any. */
    public boolean hasImage(String image) {
        return image == null || images.isEmpty() || images.contains(image);
    }
}
