package dev.hangar.core.runtime;

import dev.hangar.core.job.Resources;
import java.util.List;

/**
 * One sandbox to create: which image (null: the runtime's default), with what resources, network,
 * mounts, and which of the node's GPUs (device indices, e.g. "0") it is given.
 */
public record SandboxSpec(String id, String image, Resources resources, NetworkMode network, List<Mount> mounts,
        List<String> gpus) {
    public SandboxSpec {
        mounts = List.copyOf(mounts);
        gpus = List.copyOf(gpus);
    }

    public SandboxSpec(String id, String image, Resources resources, NetworkMode network, List<Mount> mounts) {
        this(id, image, resources, network, mounts, List.of());
    }
}
