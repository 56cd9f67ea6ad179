package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What Hangar processes that are gone left in the cgroup hierarchies. Each process keeps its
 * sandboxes' groups in a directory of its own under a hierarchy's {@code hangar} directory, named
 * {@code owner-} and its {@link OwningProcess#label()}. When that process is gone, what still runs
 * in its groups is orphaned (bubblewrap's {@code --die-with-parent} misses, for one, a parent that
 * died before bubblewrap asked to be told). Those processes are killed and the groups removed. A
 * live process's groups stay, and so do those of an owner that cannot be judged from here (see
 * {@link OwningProcess#gone}).
 */
final class LeftoverGroups {
    private static final String PREFIX = "owner-";
    /** Rounds of killing a group's processes, for processes that fork while they are killed. */
    private static final int KILL_ROUNDS = 50;

    private final List<Path> roots;
    private final OwningProcess self;

    LeftoverGroups(List<Path> roots, OwningProcess self) {
        this.roots = roots;
        this.self = self;
    }

    /** The name of {@code owner}'s directory of groups. */
    static String dirOf(OwningProcess owner) {
        return PREFIX + owner.label();
    }

    /** @return the groups removed, counting each hierarchy's */
    int sweep() {
        var orphaned = new ArrayList<Path>();
        int removed = 0;
        for (Path root : roots) {
            for (Path dir : subdirectories(root)) {
                String name = dir.getFileName().toString();
                if (!name.startsWith(PREFIX)) {
                    removed += removeIfOldAndEmpty(dir) ? 1 : 0;
                } else if (gone(name.substring(PREFIX.length()))) {
                    orphaned.add(dir);
                }
            }
        }
        // why: in cgroup v1 a process is in a group of each hierarchy; all die before any group goes
        for (Path owner : orphaned) {
            subdirectories(owner).forEach(LeftoverGroups::killAll);
        }
        for (Path owner : orphaned) {
            List<Path> groups = subdirectories(owner);
            CgroupFiles.removeDirs(groups);
            removed += (int) groups.stream().filter(group -> !Files.exists(group)).count();
            CgroupFiles.removeDirs(List.of(owner));
        }
        return removed;
    }

    private boolean gone(String label) {
        return !label.equals(self.label()) && OwningProcess.gone(label);
    }

    private static void killAll(Path group) {
        Path procs = group.resolve("cgroup.procs");
        for (int round = 0; round < KILL_ROUNDS && hasProcesses(procs); round++) {
            CgroupFiles.killAll(procs);
            CgroupFiles.sleepQuietly(20);
        }
    }

    private static boolean hasProcesses(Path procs) {
        try {
            return !Files.readString(procs).isBlank();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A group of the layout before owner directories: it cannot be told whose it is, so it goes
     * only once it is empty (the kernel refuses to remove one that is not) and a minute old.
     */
    private static boolean removeIfOldAndEmpty(Path group) {
        try {
            if (Files.getLastModifiedTime(group).toMillis() >= System.currentTimeMillis() - 60_000) {
                return false;
            }
            Files.delete(group);
            return true;
        } catch (IOException busy) {
            return false;
        }
    }

    /** The processes' directories of groups under a hierarchy's {@code hangar} directory. */
    static List<Path> ownerDirectories(Path root) {
        return subdirectories(root).stream().filter(dir -> dir.getFileName().toString().startsWith(PREFIX)).toList();
    }

    private static List<Path> subdirectories(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
