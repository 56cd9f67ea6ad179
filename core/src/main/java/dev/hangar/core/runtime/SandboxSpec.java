package dev.hangar.core.runtime;

import dev.hangar.core.job.Resources;
import java.util.List;

/** One sandbox to create: which image, with what resources, network and mounts. */
public record SandboxSpec(String id, String image, Resources resources, NetworkMode network, List<Mount> mounts) {
    public SandboxSpec {
        mounts = List.copyOf(mounts);
    }
}
