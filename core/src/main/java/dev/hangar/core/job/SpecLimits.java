package dev.hangar.core.job;

import dev.hangar.core.runtime.Mount;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bounds a spec is checked against: what the largest node can give, and which runtimes exist.
 * A job that asks for more can never run, so it is refused at the door.
 *
 * @param mountsOnThisHost whether a mount's host path is checked on this host ({@link MountPolicy#check}),
 *                         or only by name, as a cluster's server checks paths of its nodes
 * @param nodeLabels       each node's labels, which a job's {@code nodeSelector} must find on one node;
 *                         null where they are not checked (no node has said what it has)
 */
public record SpecLimits(
        double maxCpus,
        long maxMemoryMb,
        int maxPids,
        long maxDiskMb,
        int maxGpus,
        long maxOutputBytes,
        int maxTimeoutSeconds,
        Set<String> knownRuntimes,
        Set<String> knownImages,
        MountPolicy mounts,
        boolean networkAllowed,
        boolean mountsOnThisHost,
        List<Map<String, String>> nodeLabels) {

    /**
     * The runtimes Hangar has drivers for: what a job may name where no node has said what it runs.
     * The drivers are found on the class path, which the core cannot see; a test of the CLI, which
     * has them all, holds this list equal to theirs.
     */
    public static final Set<String> RUNTIME_NAMES = Set.of("process", "podman", "gvisor", "kata");
    public static final int MAX_COMMAND_ARGS = 4096;
    /** Linux refuses to exec with one argument or NAME=value string of 128 KiB or more (MAX_ARG_STRLEN). */
    public static final int MAX_STRING_BYTES = 128 * 1024 - 1;
    /** Command and environment together, well below the kernel's limit on exec arguments. */
    public static final int MAX_EXEC_BYTES = 1024 * 1024;
    public static final int MAX_ENV_ENTRIES = 1024;
    public static final int MAX_STDIN_BYTES = 1024 * 1024;
    public static final int MAX_NAME_CHARS = 200;
    public static final int MAX_KEY_CHARS = 256;
    public static final int MAX_ATTEMPTS = 100;

    public static final int MAX_MOUNTS = 32;

    public SpecLimits {
        knownRuntimes = Set.copyOf(knownRuntimes);
        knownImages = knownImages == null ? null : Set.copyOf(knownImages);
        nodeLabels = nodeLabels == null ? null : nodeLabels.stream().map(Map::copyOf).toList();
    }

    /** Bounds for a node with this many CPUs and this much memory. */
    public static SpecLimits forNode(double cpus, long memoryMb, int gpus, Set<String> runtimes) {
        return new SpecLimits(cpus, memoryMb, 1_000_000, 1024L * 1024, gpus, 1024L * 1024 * 1024, 7 * 24 * 3600, runtimes,
                null, MountPolicy.none(), true, true, null);
    }

    /** The same bounds, with the images a job may name (null: not checked here). */
    public SpecLimits withImages(Set<String> images) {
        return new SpecLimits(maxCpus, maxMemoryMb, maxPids, maxDiskMb, maxGpus, maxOutputBytes, maxTimeoutSeconds,
                knownRuntimes, images, mounts, networkAllowed, mountsOnThisHost, nodeLabels);
    }

    /** What is wrong with naming this image here, if anything: an image the node does not have. */
    public java.util.Optional<FieldError> unknownImage(String image) {
        if (image == null || knownImages == null || knownImages.contains(image)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new FieldError("image", "unknown image '" + image + "'; known: "
                + String.join(", ", knownImages.stream().sorted().toList())
                + " (add one with 'hangar image import NAME DIR|TAR')"));
    }

    /** The same bounds, with mounts under this policy's roots, checked on this host. */
    public SpecLimits withMounts(MountPolicy policy) {
        return new SpecLimits(maxCpus, maxMemoryMb, maxPids, maxDiskMb, maxGpus, maxOutputBytes, maxTimeoutSeconds,
                knownRuntimes, knownImages, policy, networkAllowed, true, nodeLabels);
    }

    /** The same bounds, with mounts under this policy's roots on other hosts, checked by name only. */
    public SpecLimits withMountsByName(MountPolicy policy) {
        return new SpecLimits(maxCpus, maxMemoryMb, maxPids, maxDiskMb, maxGpus, maxOutputBytes, maxTimeoutSeconds,
                knownRuntimes, knownImages, policy, networkAllowed, false, nodeLabels);
    }

    /** What is wrong with these mounts here, if anything. */
    public List<FieldError> mountErrors(List<Mount> mounts) {
        return mountsOnThisHost ? this.mounts.check(mounts) : this.mounts.checkByName(mounts);
    }

    /** The same bounds, on a node that gives sandboxes a network only if {@code allowed}. */
    public SpecLimits withNetworkAllowed(boolean allowed) {
        return new SpecLimits(maxCpus, maxMemoryMb, maxPids, maxDiskMb, maxGpus, maxOutputBytes, maxTimeoutSeconds,
                knownRuntimes, knownImages, mounts, allowed, mountsOnThisHost, nodeLabels);
    }

    /** The same bounds, on nodes with these labels (each node's): a job's {@code nodeSelector} must pick one. */
    public SpecLimits withNodeLabels(List<Map<String, String>> labels) {
        return new SpecLimits(maxCpus, maxMemoryMb, maxPids, maxDiskMb, maxGpus, maxOutputBytes, maxTimeoutSeconds,
                knownRuntimes, knownImages, mounts, networkAllowed, mountsOnThisHost, labels);
    }

    /** What is wrong with this selector here, if anything: a label no node has with that value. */
    public List<FieldError> selectorErrors(Map<String, String> selector) {
        return nodeLabels == null || selector.isEmpty() ? List.of() : NodeLabels.unmatched(selector, nodeLabels);
    }
}
