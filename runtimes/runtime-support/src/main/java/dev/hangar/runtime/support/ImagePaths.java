package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A sandbox's path in its image's root on the host, walked as a runtime walks it when it mounts
 * there: inside the root, a link followed to where it points (an absolute one from the root), never
 * above the root, so that a mount under the image's {@code /var/run}, a link to {@code /run}, is
 * found where the runtime puts it.
 */
public final class ImagePaths {
    /** Links followed at most in one walk, as the kernel's limit. */
    private static final int MOST_LINKS = 40;

    /**
     * Where a walk ended: {@code found}, at the path itself (with every link on the way followed but a
     * last one that still points on after {@link #MOST_LINKS}); else at the first part the image lacks.
     */
    public record Walk(Path at, boolean found) {}

    private ImagePaths() {}

    /**
     * Walks {@code sandboxPath} in {@code rootfs}, a part that {@code takenAsMissing} names counting as
     * one the image lacks (a mount point a runtime made there for a sandbox); empty where the walk
     * meets a file before its end or a link it cannot read.
     */
    public static Optional<Walk> walk(Path rootfs, String sandboxPath, Predicate<Path> takenAsMissing) {
        var parts = new ArrayDeque<String>();
        Path.of(sandboxPath).forEach(part -> parts.add(part.toString()));
        Path path = rootfs;
        int links = 0;
        while (!parts.isEmpty()) {
            String part = parts.poll();
            if (part.equals(".") || part.equals("..")) { // a link's; never above the root, as inside the sandbox
                path = part.equals("..") && !path.equals(rootfs) ? path.getParent() : path;
                continue;
            }
            Path next = path.resolve(part);
            if (takenAsMissing.test(next) || !Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(new Walk(next, false));
            }
            if (Files.isSymbolicLink(next) && links++ < MOST_LINKS) {
                try {
                    Path target = Files.readSymbolicLink(next);
                    for (int i = target.getNameCount() - 1; i >= 0; i--) { // the link's parts, then what followed it
                        parts.addFirst(target.getName(i).toString());
                    }
                    path = target.isAbsolute() ? rootfs : path;
                    continue;
                } catch (IOException e) {
                    return Optional.empty();
                }
            }
            if (!parts.isEmpty() && !Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty(); // a file on the way: nothing can be there
            }
            path = next;
        }
        return Optional.of(new Walk(path, true));
    }
}
