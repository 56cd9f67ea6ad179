package dev.hangar.runtime.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Finds host programs a driver runs. */
public final class Programs {
    /** Where Debian and Fedora put catatonit when it is not on PATH. */
    private static final List<Path> CATATONIT_PLACES = List.of(Path.of("/usr/libexec/podman/catatonit"),
            Path.of("/usr/libexec/catatonit/catatonit"));

    private Programs() {}

    /** catatonit, the static init container engines run as a container's first process. */
    public static Optional<Path> catatonit() {
        return find("catatonit").or(() -> CATATONIT_PLACES.stream().filter(Files::isExecutable).findFirst());
    }

    /**
     * Why a program found at the node's start can be run no more (removed, or its mode changed, while the node runs),
     * or empty if it can: asked at each use, as a sandbox whose program is gone otherwise ran its job's process
     * through nothing, exit 127, the job failed as its own command not found.
     */
    public static Optional<String> goneSinceFound(Path program, String debianPackage) {
        return Files.isExecutable(program) ? Optional.empty() : Optional.of(program.getFileName() + " at " + program
                + " is gone, or cannot be run, since this node found it (install the " + debianPackage + " package)");
    }

    /** The program on PATH, or in /usr/bin, /usr/local/bin, /usr/sbin (PATH may be minimal under services). */
    public static Optional<Path> find(String program) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : (path + ":/usr/bin:/usr/local/bin:/usr/sbin:/bin").split(":")) {
            Path candidate = dir.isEmpty() ? null : Path.of(dir, program);
            if (candidate != null && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
