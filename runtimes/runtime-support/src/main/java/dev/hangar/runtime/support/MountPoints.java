package dev.hangar.runtime.support;

import dev.hangar.core.runtime.Mount;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The mount points a runtime makes in the image's root for a job's mounts at paths the image
 * lacks (runsc's gofer, the Kata agent through the VM's shared root): it makes them in the image
 * itself, which every job of that image shares, before the root goes read-only. They are removed when the last sandbox of this process that may use them goes,
 * so no job sees another's mount points and the image stays as imported. Each is the topmost
 * missing directory of a mount's path; what is removed under it is only empty directories and
 * empty files (what the gofer makes), never anything with content.
 */
public final class MountPoints {
    /** Sandboxes of this process that may use each made mount point. */
    private static final ConcurrentHashMap<Path, Integer> IN_USE = new ConcurrentHashMap<>();
    public static final MountPoints NONE = new MountPoints(List.of());

    private final List<Path> made;
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

    private MountPoints(List<Path> made) {
        this.made = made;
    }

    /** Claims, for one sandbox on {@code rootfs}, the mount points its mounts will need made. */
    public static MountPoints claim(Path rootfs, List<Mount> mounts) {
        Set<Path> tops = new LinkedHashSet<>();
        for (Mount mount : mounts) {
            firstMissing(rootfs, mount.sandboxPath()).ifPresent(tops::add);
        }
        var claimed = new ArrayList<Path>();
        for (Path top : tops) {
            // why in compute: a sandbox that goes removes the point under the same bin lock, so a claim never
            // sees a point that is about to be removed as the image's own
            Integer count = IN_USE.compute(top, (p, n) -> n != null ? n + 1
                    : Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? null : 1);
            if (count != null) {
                claimed.add(top);
            }
        }
        return claimed.isEmpty() ? NONE : new MountPoints(List.copyOf(claimed));
    }

    /**
     * The first part of {@code sandboxPath} the image lacks, as runsc walks it (see ImagePaths), a
     * point made for another sandbox counting as lacking; none where the path is the image's own.
     */
    private static java.util.Optional<Path> firstMissing(Path rootfs, String sandboxPath) {
        return ImagePaths.walk(rootfs, sandboxPath, MountPoints::made).filter(walk -> !walk.found())
                .map(ImagePaths.Walk::at);
    }

    /** Whether a sandbox of this process may use this point, made in its image for a mount. */
    public static boolean made(Path point) {
        return IN_USE.containsKey(point);
    }

    public List<Path> paths() {
        return made;
    }

    /** Writes the points down, one a line, for the next start should this process be killed first; whether it could. */
    public boolean writeTo(Path file) {
        try {
            Files.write(file, made.stream().map(Path::toString).toList());
            return true;
        } catch (IOException e) {
            return false; // then only this process removes them, when its sandbox goes
        }
    }

    /** Removes the points a killed process wrote down in {@code file} ({@link #writeTo}); none if it cannot be read. */
    public static void removeWrittenIn(Path file) {
        try {
            for (String line : Files.readAllLines(file)) {
                removeEmpty(Path.of(line));
            }
        } catch (IOException | RuntimeException e) {
            // none written, or unreadable: the points stay, as empty directories
        }
    }

    /** Lets go of the points; those no other sandbox of this process may use are removed. */
    public void release() {
        if (released.getAndSet(true)) {
            return;
        }
        for (Path top : made) {
            IN_USE.compute(top, (p, n) -> {
                if (n != null && n > 1) {
                    return n - 1;
                }
                removeEmpty(p);
                return null;
            });
        }
    }

    /** Removes the empty directories and empty files at and under {@code top}; leaves anything with content. */
    public static void removeEmpty(Path top) {
        if (!Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) {
            deleteIfEmptyFile(top);
            return;
        }
        try {
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    deleteIfEmptyFile(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    try {
                        Files.deleteIfExists(dir);
                    } catch (DirectoryNotEmptyException kept) {
                        // something with content under it: not only mount points
                    } catch (IOException ignored) {
                        // left for the next sandbox that goes
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // gone already, or unreadable: nothing more to do
        }
    }

    private static void deleteIfEmptyFile(Path file) {
        try {
            if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.size(file) == 0) {
                Files.delete(file);
            }
        } catch (IOException ignored) {
            // left as it is
        }
    }
}
