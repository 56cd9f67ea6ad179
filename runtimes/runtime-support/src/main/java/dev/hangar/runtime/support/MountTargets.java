package dev.hangar.runtime.support;

import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;

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
        for (int i = 0; i < mounts.size(); i++) {
            Mount mount = mounts.get(i);
            Optional<Boolean> coversADirectory = directoryIn(rootfs, mount.sandboxPath());
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
     * Whether the path is a directory in the image; empty where the image lacks it (the runtime makes
     * it) or reaches it through a link, which the runtime resolves inside the sandbox, not here.
     */
    static Optional<Boolean> directoryIn(Path rootfs, String sandboxPath) {
        Path path = rootfs;
        BasicFileAttributes attributes = null;
        for (String part : sandboxPath.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            path = path.resolve(part);
            try {
                attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                return Optional.empty();
            }
            if (attributes.isSymbolicLink()) {
                return Optional.empty();
            }
        }
        return attributes == null ? Optional.empty() : Optional.of(attributes.isDirectory());
    }
}
