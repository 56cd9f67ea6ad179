package dev.hangar.runtime.support;

import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.SandboxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A job's mounts against the image they go into. A directory cannot be bind-mounted over a file of
 * the image, nor a file over a directory: runc, runsc and the Kata agent refuse such a mount as they
 * start the sandbox, in words that read as their own failure, and the runtime would be benched on
 * every node the job went to. Checked before, it is the job's fault, and says which mount.
 */
public final class MountTargets {
    private MountTargets() {}

    /** Refuses, as the job's fault, the first mount whose host path is not of the kind of what it covers in the image. */
    public static void check(Path rootfs, String image, List<Mount> mounts) throws SandboxException {
        check(rootfs, image, mounts, point -> false);
    }

    /**
     * As {@link #check(Path, String, List)}, a path that {@code madeForSandboxes} names (a mount point
     * a runtime made in the image for another sandbox) counting as one the image lacks.
     */
    public static void check(Path rootfs, String image, List<Mount> mounts, Predicate<Path> madeForSandboxes)
            throws SandboxException {
        for (int i = 0; i < mounts.size(); i++) {
            Mount mount = mounts.get(i);
            Optional<Boolean> coversADirectory = directoryIn(rootfs, mount.sandboxPath(), madeForSandboxes);
            boolean isADirectory = Files.isDirectory(Path.of(mount.hostPath()));
            if (coversADirectory.isPresent() && coversADirectory.get() != isADirectory) {
                throw SandboxException.causedByTheJob("mounts[" + i + "]: '" + mount.sandboxPath() + "' is a "
                        + kind(coversADirectory.get()) + " in image '" + image + "' and the host path is a "
                        + kind(isADirectory) + ": a mount can only cover a path of its own kind, or one the image lacks");
            }
        }
    }

    private static String kind(boolean directory) {
        return directory ? "directory" : "file";
    }

    /**
     * Whether the path is a directory in the image, found as the runtime finds it (see ImagePaths);
     * empty where the image lacks it (the runtime makes it) or the walk cannot tell.
     */
    static Optional<Boolean> directoryIn(Path rootfs, String sandboxPath, Predicate<Path> madeForSandboxes) {
        return ImagePaths.walk(rootfs, sandboxPath, madeForSandboxes)
                .filter(walk -> walk.found() && !walk.at().equals(rootfs) && !Files.isSymbolicLink(walk.at()))
                .map(walk -> Files.isDirectory(walk.at(), LinkOption.NOFOLLOW_LINKS));
    }
}
