package dev.hangar.runtime.kata;

import dev.hangar.runtime.support.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What Kata needs on a host: its containerd shim v2, the {@code ctr} front-end, a running
 * containerd, and catatonit, a static init bound into each container for its job to run under. Podman cannot drive Kata 2.x or later (no OCI CLI), so containerd is the way in.
 */
record KataHost(Optional<Path> shim, Optional<Path> ctr, Optional<Path> init, Path containerdSocket, Path kvm) {
    static final String RUNTIME_TYPE = "io.containerd.kata.v2";
    private static final List<Path> SHIM_PLACES = List.of(Path.of("/opt/kata/bin/containerd-shim-kata-v2"),
            Path.of("/usr/local/bin/containerd-shim-kata-v2"), Path.of("/usr/bin/containerd-shim-kata-v2"));

    static KataHost detect() {
        Optional<Path> shim = Programs.find("containerd-shim-kata-v2")
                .or(() -> SHIM_PLACES.stream().filter(Files::isExecutable).findFirst());
        return new KataHost(shim, Programs.find("ctr"), Programs.catatonit(), Path.of("/run/containerd/containerd.sock"),
                Path.of("/dev/kvm"));
    }

    /** Why Kata cannot run here, or empty when everything it needs is present. */
    Optional<String> missing() {
        if (shim.isEmpty()) {
            return Optional.of("Kata Containers is not installed (no containerd-shim-kata-v2 on PATH or in /opt/kata/bin); "
                    + "install kata-containers and containerd");
        }
        if (ctr.isEmpty()) {
            return Optional.of("containerd's ctr not found: install containerd");
        }
        if (init.isEmpty()) {
            return Optional.of("catatonit not found (the init a job runs under in its VM): install catatonit");
        }
        if (!Files.exists(containerdSocket)) {
            return Optional.of("containerd is not running (no " + containerdSocket + ")");
        }
        if (!Files.exists(kvm)) {
            return Optional.of("no " + kvm + ": Kata needs hardware virtualisation");
        }
        return Optional.empty();
    }
}
