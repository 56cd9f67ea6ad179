package dev.hangar.images;

import dev.hangar.core.image.Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Which versions of a store's images sandboxes on this host hold, across processes: while this
 * process has sandboxes on one it holds a shared lock on {@code <root>/.uses/<version>} (one,
 * however many sandboxes: a file lock is the whole process's, and two in one JVM on one file
 * throw), and the files of a version no name links to any more are deleted only once an
 * exclusive try on that file succeeds. The kernel lets go of a killed process's locks, so a crash leaves no version held.
 */
final class ImageUses {
    private static final ConcurrentHashMap<Path, ImageUses> BY_ROOT = new ConcurrentHashMap<>();
    private static final String DIR = ".uses";

    private final Path dir;
    private final Map<String, Held> held = new HashMap<>();

    private ImageUses(Path root) {
        this.dir = root.resolve(DIR);
    }

    static ImageUses of(Path root) {
        Path key = root.toAbsolutePath().normalize();
        try {
            key = key.toRealPath(); // one per store however it is spelt: a second's exclusive try would throw
        } catch (IOException e) {
            // not made yet: no link in it to spell it otherwise
        }
        return BY_ROOT.computeIfAbsent(key, ImageUses::new);
    }

    /** One version of an image, as made: an image removed and made again under its name is another. */
    static String version(Image image) {
        return version(image.name(), image.createdAt());
    }

    static String version(String name, Instant madeAt) {
        return name + "@" + (madeAt == null ? "unknown" : ChronoUnit.MICROS.between(Instant.EPOCH, madeAt));
    }

    /** Holds the version for one more sandbox; {@link #release} once for each. */
    synchronized void acquire(String version) throws IOException {
        Held lock = held.get(version);
        if (lock == null) {
            // why root's alone: a shared lock needs only reading, and anyone's would keep a removed image for ever
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            FileChannel channel = open(version);
            try {
                channel.lock(0, Long.MAX_VALUE, true);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            lock = new Held(channel);
            held.put(version, lock);
        }
        lock.sandboxes++;
    }

    /** Lets go for one sandbox; true if no sandbox of this process holds the version any more. */
    synchronized boolean release(String version) {
        Held lock = held.get(version);
        if (lock == null || --lock.sandboxes > 0) {
            return false;
        }
        held.remove(version);
        try {
            lock.channel.close(); // lets go of the lock
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }

    /**
     * Whether no sandbox on this host holds the version now, deleting its lock file if none does.
     * Asked only of a version no name links to, so it stays true: a new hold finds the name gone, or
     * another version, and lets go.
     */
    synchronized boolean unheld(String version) throws IOException {
        if (held.containsKey(version)) {
            return false;
        }
        Path file = dir.resolve(version);
        if (!Files.exists(file)) {
            return true; // never held since the store was made here
        }
        try (FileChannel channel = open(version)) {
            if (channel.tryLock() == null) {
                return false;
            }
            Files.delete(file);
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // this JVM holds it through another spelling of the root
        }
    }

    /** The versions with a lock file, held or not. */
    List<String> versions() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).toList();
        }
    }

    private FileChannel open(String version) throws IOException {
        return FileChannel.open(dir.resolve(version), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    /** This process's shared lock on a version, kept while the channel is open. */
    private static final class Held {
        final FileChannel channel;
        int sandboxes;

        Held(FileChannel channel) {
            this.channel = channel;
        }
    }
}
