package dev.hangar.runtime.support;

import java.nio.file.Path;
import java.util.List;

/** The control groups one sandbox runs in, holding its memory, pids and CPU limits. */
public interface Cgroup {
    /** Files a process writes its pid into to join (one per hierarchy). */
    List<Path> procsFiles();

    /** Limits reached so far, e.g. "memory limit 64 MiB reached (OOM kill)". */
    List<String> limitsHit();

    /** SIGKILLs every process left in the group. */
    void killAll();

    /** Removes the group; processes must be gone. */
    void remove();

    /** No group: for a sandbox whose limits are held elsewhere (inside a VM, or by another engine). */
    static Cgroup none() {
        return None.INSTANCE;
    }

    enum None implements Cgroup {
        INSTANCE;

        @Override
        public List<Path> procsFiles() {
            return List.of();
        }

        @Override
        public List<String> limitsHit() {
            return List.of();
        }

        @Override
        public void killAll() {}

        @Override
        public void remove() {}
    }
}
