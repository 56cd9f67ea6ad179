package dev.hangar.runtime.support;

import dev.hangar.core.job.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * How this host enforces a sandbox's memory, pids and CPU limits: cgroup v1 or v2, whichever
 * Hangar can write to. Chosen once, by trying.
 */
public sealed interface Limiter {
    /** Why a runtime that needs Hangar's cgroups cannot run where {@link #detect()} finds none. */
    String UNAVAILABLE = "no writable cgroup hierarchy with memory, pids and cpu controllers: limits could not be "
            + "enforced (run the agent as root or delegate a cgroup v2 subtree)";

    String describe();

    Cgroup create(String name, Resources resources) throws IOException;

    /** The directories holding one group per sandbox. */
    List<Path> parents();

    /**
     * Removes groups left behind by a node that was killed. Only groups older than a minute go,
     * and the kernel refuses to remove one that still has processes, so live sandboxes are safe.
     */
    default int sweepStale() {
        int removed = 0;
        long cutoff = System.currentTimeMillis() - 60_000;
        for (Path parent : parents()) {
            try (var groups = Files.list(parent)) {
                for (Path group : groups.filter(Files::isDirectory).toList()) {
                    if (Files.getLastModifiedTime(group).toMillis() < cutoff) {
                        try {
                            Files.delete(group);
                            removed++;
                        } catch (IOException busy) {
                            // still has processes: not stale
                        }
                    }
                }
            } catch (IOException e) {
                // nothing to sweep
            }
        }
        return removed;
    }

    /** The best mechanism this host offers, or empty with no way to enforce limits. */
    public static Optional<Limiter> detect() {
        CgroupMounts mounts = CgroupMounts.read();
        if (mounts.hasV1("memory", "pids", "cpu") && V1.works(mounts)) {
            return Optional.of(new V1(mounts));
        }
        return mounts.v2().flatMap(V2::prepare);
    }

    record V1(CgroupMounts mounts) implements Limiter {
        static boolean works(CgroupMounts mounts) {
            try {
                for (String controller : List.of("memory", "pids", "cpu")) {
                    Files.createDirectories(mounts.v1(controller));
                }
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public String describe() {
            return "cgroup v1 (memory, pids, cpu)";
        }

        @Override
        public List<Path> parents() {
            return List.of(mounts.v1("memory"), mounts.v1("pids"), mounts.v1("cpu"));
        }

        @Override
        public Cgroup create(String name, Resources resources) throws IOException {
            return CgroupV1.create(mounts, name, resources);
        }
    }

    record V2(Path parent) implements Limiter {
        /** Makes {@code <root>/hangar} with the memory, pids and cpu controllers enabled for its children. */
        static Optional<Limiter> prepare(Path root) {
            try {
                String available = Files.readString(root.resolve("cgroup.controllers"));
                if (!(available.contains("memory") && available.contains("pids") && available.contains("cpu"))) {
                    return Optional.empty();
                }
                CgroupFiles.write(root.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
                Path parent = root.resolve("hangar");
                Files.createDirectories(parent);
                CgroupFiles.write(parent.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
                return Optional.of(new V2(parent));
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        @Override
        public String describe() {
            return "cgroup v2 (memory, pids, cpu)";
        }

        @Override
        public List<Path> parents() {
            return List.of(parent);
        }

        @Override
        public Cgroup create(String name, Resources resources) throws IOException {
            return CgroupV2.create(parent, name, resources);
        }
    }
}
