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
            + "enforced (run the agent as root on the host: it makes its groups under the cgroup v2 root, or in the"
            + " memory, pids and cpu hierarchies of cgroup v1; a delegated subtree, or a container's own, is not used)";

    String describe();

    default Cgroup create(String name, Resources resources) throws IOException {
        return create(name, resources, 0);
    }

    /**
     * A group held to {@code resources}, its pids limit raised by {@code ownProcesses}: the processes
     * a runtime keeps in the group beside the job's (bwrap's monitor and its namespace's init), so
     * that the job may run as many as it asked for.
     */
    Cgroup create(String name, Resources resources, int ownProcesses) throws IOException;

    /** The process whose sandboxes' groups this makes: this JVM, but for tests of what a dead one left. */
    OwningProcess owner();

    /** The directories holding one group per sandbox of {@link #owner()}: its own, in each hierarchy. */
    default List<Path> parents() {
        return roots().stream().map(root -> root.resolve(LeftoverGroups.dirOf(owner()))).toList();
    }

    /** This JVM's groups are killed should it die without closing them (see {@link DeathWatch}); a test's other owner's are not. */
    private static void watchedIfMine(Limiter limiter) {
        if (limiter.owner().equals(OwningProcess.current())) {
            DeathWatch.watch(limiter.parents());
        }
    }

    /** The directories holding every Hangar process's directory of groups, one per hierarchy. */
    List<Path> roots();

    /**
     * Every directory a group of this name may be in, whoever made it: under any process's
     * directory of groups, or where the layout before those kept it.
     */
    default List<Path> everyPlaceOf(String name) {
        var places = new java.util.ArrayList<Path>();
        for (Path root : roots()) {
            places.add(root.resolve(name));
            LeftoverGroups.ownerDirectories(root).forEach(owner -> places.add(owner.resolve(name)));
        }
        return places;
    }

    /**
     * Kills what Hangar processes that are gone (a node killed with SIGKILL) left running in their
     * sandboxes' groups, and removes those groups. Other live processes' groups are left alone.
     *
     * @return the groups removed
     */
    default int sweepStale() {
        return new LeftoverGroups(roots(), owner()).sweep();
    }

    /** The best mechanism this host offers, or empty with no way to enforce limits. */
    public static Optional<Limiter> detect() {
        return detect(OwningProcess.current());
    }

    /** As {@link #detect()}, making groups as {@code owner} would: for tests of what a node leaves behind. */
    static Optional<Limiter> detect(OwningProcess owner) {
        CgroupMounts mounts = CgroupMounts.read();
        var v1 = new V1(mounts, owner);
        Optional<Limiter> found = mounts.hasV1("memory", "pids", "cpu") && v1.works() ? Optional.of(v1)
                : mounts.v2().flatMap(root -> V2.prepare(root, owner));
        found.ifPresent(limiter -> HostTaskBound.apply(limiter.pidsRoot(), HostTaskBound.KERNEL));
        return found;
    }

    /** The pids group above every owner's groups: {@link HostTaskBound} bounds them all there. */
    Path pidsRoot();

    record V1(CgroupMounts mounts, OwningProcess owner) implements Limiter {
        private static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu");

        boolean works() {
            try {
                for (Path parent : parents()) {
                    Files.createDirectories(parent);
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

        /** In the order memory, pids, cpu. */
        @Override
        public List<Path> roots() {
            return CONTROLLERS.stream().map(mounts::v1).toList();
        }

        @Override
        public Path pidsRoot() {
            return mounts.v1("pids");
        }

        @Override
        public Cgroup create(String name, Resources resources, int ownProcesses) throws IOException {
            List<Path> parents = parents();
            watchedIfMine(this);
            return CgroupV1.create(parents.get(0).resolve(name), parents.get(1).resolve(name),
                    parents.get(2).resolve(name), resources, ownProcesses);
        }
    }

    /** @param hangar {@code <root>/hangar}, which holds each process's directory of groups */
    record V2(Path hangar, OwningProcess owner) implements Limiter {
        /** The group below the v2 root that holds every Hangar process's groups (and its {@link DeathWatch}'s). */
        static final String HANGAR = "hangar";
        /**
         * Makes {@code <root>/hangar} and the owner's directory in it, each with the memory, pids
         * and cpu controllers enabled for its children.
         */
        static Optional<Limiter> prepare(Path root, OwningProcess owner) {
            try {
                String available = Files.readString(root.resolve("cgroup.controllers"));
                if (!(available.contains("memory") && available.contains("pids") && available.contains("cpu"))) {
                    return Optional.empty();
                }
                CgroupFiles.write(root.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
                Path hangar = root.resolve(HANGAR);
                Files.createDirectories(hangar);
                CgroupFiles.write(hangar.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
                var limiter = new V2(hangar, owner);
                limiter.ownDirectory();
                return Optional.of(limiter);
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        @Override
        public String describe() {
            return "cgroup v2 (memory, pids, cpu)";
        }

        @Override
        public List<Path> roots() {
            return List.of(hangar);
        }

        @Override
        public Path pidsRoot() {
            return hangar;
        }

        @Override
        public Cgroup create(String name, Resources resources, int ownProcesses) throws IOException {
            Path parent = ownDirectory();
            watchedIfMine(this);
            return CgroupV2.create(parent, name, resources, ownProcesses);
        }

        /**
         * The owner's directory, made again if it is gone: a process of an older version sweeps
         * empty groups, this directory among them, and a group made without the controllers
         * enabled in its parent would take no limits.
         */
        private Path ownDirectory() throws IOException {
            Path parent = parents().getFirst();
            if (!Files.isDirectory(parent)) {
                Files.createDirectories(parent);
                CgroupFiles.write(parent.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
            }
            return parent;
        }
    }
}
