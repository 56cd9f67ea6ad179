package dev.hangar.runtime.support;

import dev.hangar.core.runtime.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A sandbox's host mounts as its runtime is to be given them (see {@link MountPins}): each a pin of
 * the checked path, or, where pins cannot be made, the checked path with its links resolved. Closed
 * once the sandbox is gone: the pins are unmounted (lazily: a runtime's own mount of one stays
 * until its sandbox ends) and removed.
 */
public final class PinnedMounts implements AutoCloseable {
    private static final PinnedMounts NONE = new PinnedMounts(null, List.of());

    private final Path dir;
    private final List<Mount> mounts;

    private PinnedMounts(Path dir, List<Mount> mounts) {
        this.dir = dir;
        this.mounts = List.copyOf(mounts);
    }

    static PinnedMounts none() {
        return NONE;
    }

    static PinnedMounts unpinned(List<Mount> resolved) {
        return new PinnedMounts(null, resolved);
    }

    static PinnedMounts pinned(Path dir, List<Mount> pins) {
        return new PinnedMounts(dir, pins);
    }

    /** The mounts to give the runtime. */
    public List<Mount> mounts() {
        return mounts;
    }

    @Override
    public void close() {
        if (dir != null) {
            release(dir, pathsOf(mounts));
        }
    }

    static List<Path> pathsOf(List<Mount> pins) {
        return pins.stream().map(pin -> Path.of(pin.hostPath())).toList();
    }

    /**
     * Unmounts {@code pins} and removes them and {@code dir}. Each is removed on its own, never with
     * what is below it: a pin that is still mounted (its unmount failed) refuses and stays, and
     * nothing of the host's is deleted through it.
     *
     * @return the pins removed
     */
    static int release(Path dir, List<Path> pins) {
        if (!pins.isEmpty()) {
            var argv = new ArrayList<String>(List.of("umount", "--lazy", "--no-canonicalize"));
            pins.forEach(pin -> argv.add(pin.toString()));
            MountPins.run(argv); // a pin never mounted (a failed pin) says so; removing it below is what counts
        }
        int removed = 0;
        for (Path pin : pins) {
            if (deleteQuietly(pin)) {
                removed++;
            }
        }
        deleteQuietly(dir);
        return removed;
    }

    static boolean deleteQuietly(Path path) {
        try {
            return Files.deleteIfExists(path);
        } catch (IOException e) {
            return false; // still mounted, or not empty: left as it is
        }
    }
}
