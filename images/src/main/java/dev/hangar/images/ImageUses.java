package dev.hangar.images;

import dev.hangar.core.image.Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Which versions of a store's images sandboxes on this host hold, across processes: while this
 * process has sandboxes on one it holds a shared lock on {@code <root>/.uses/<version>}, and the
 * files of a version no name links to any more are deleted only once an exclusive try on that
 * file succeeds. The kernel lets go of a killed process's locks, so a crash leaves no version held.
 *
 * <p>A file lock is the whole process's: this process holds one per lock file, however many
 * sandboxes and however the store's root is spelt, and never opens a lock file it holds a second
 * time, as closing that channel would let go of the lock.
 */
final class ImageUses {
    /** The lock files this process holds, by their real path; guarded by the class. */
    private static final Map<Path, Held> HELD = new HashMap<>();
    private static final String DIR = ".uses";

    private final Path dir;

    ImageUses(Path root) {
        this.dir = root.resolve(DIR);
    }

    /** One version of an image, as made: an image removed and made again under its name is another. */
    static String version(Image image) {
        return version(image.name(), image.createdAt());
    }

    static String version(String name, Instant madeAt) {
        return name + "@" + (madeAt == null ? "unknown" : ChronoUnit.MICROS.between(Instant.EPOCH, madeAt));
    }

    /** Holds the version for one more sandbox; returns what {@link #release} lets go of, once for each. */
    Path acquire(String version) throws IOException {
        Path file = lockFile(version);
        synchronized (ImageUses.class) {
            Held lock = HELD.get(file);
            if (lock == null) {
                FileChannel channel = open(file);
                try {
                    channel.lock(0, Long.MAX_VALUE, true);
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    throw e;
                }
                lock = new Held(channel);
                HELD.put(file, lock);
            }
            lock.sandboxes++;
        }
        return file;
    }

    /** Lets go for one sandbox; true if no sandbox of this process holds the version any more. */
    static boolean release(Path held) {
        synchronized (ImageUses.class) {
            Held lock = HELD.get(held);
            if (lock == null || --lock.sandboxes > 0) {
                return false;
            }
            HELD.remove(held);
            try {
                lock.channel.close(); // lets go of the lock
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return true;
        }
    }

    /**
     * Whether no sandbox on this host holds the version now, deleting its lock file if none does.
     * Asked only of a version no name links to, so it stays true: a new hold finds the name gone, or
     * another version, and lets go.
     */
    boolean unheld(String version) throws IOException {
        return whileUnheld(version, () -> { }, true);
    }

    /**
     * Runs {@code change} if no sandbox on this host holds the version, with the version's lock
     * file locked so that no hold can be taken meanwhile; whether it ran. The lock file is kept for a
     * version that stays linked: a hold waiting on it would otherwise get a lock on a deleted file,
     * which no later removal sees.
     */
    boolean whileUnheld(String version, Change change) throws IOException {
        return whileUnheld(version, change, false);
    }

    private boolean whileUnheld(String version, Change change, boolean deleteLockFile) throws IOException {
        Path file = lockFile(version);
        synchronized (ImageUses.class) {
            if (HELD.containsKey(file)) {
                return false;
            }
            try (FileChannel channel = open(file)) {
                if (channel.tryLock() == null) {
                    return false;
                }
                change.run();
                if (deleteLockFile) {
                    Files.delete(file);
                }
                return true;
            }
        }
    }

    /**
     * Whether a sandbox on this host holds the version now, as far as this process may see. It takes
     * no hold and makes no file; its test lock is let go at once (a hold taken meanwhile waits that
     * long, and a deletion that tries then finds it held, and is left to the next make or removal).
     */
    boolean held(String version) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        Path file = dir.toRealPath().resolve(version);
        synchronized (ImageUses.class) {
            // why first: closing a channel of a file this process holds would drop its hold
            if (HELD.containsKey(file)) {
                return true;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                var test = channel.tryLock();
                if (test == null) {
                    return true;
                }
                test.release();
                return false;
            } catch (java.nio.file.NoSuchFileException | java.nio.file.AccessDeniedException e) {
                return false; // none; or a store whose holds only root may see (.uses is root's alone): not told
            }
        }
    }

    /** What is done to a version while no hold can be taken on it. */
    interface Change {
        void run() throws IOException;
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

    /** The version's lock file, by its real path: one key however the store's root is spelt. */
    private Path lockFile(String version) throws IOException {
        if (!Files.isDirectory(dir)) {
            // why root's alone: a shared lock needs only reading, and anyone's would keep a removed image for ever
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir.toRealPath().resolve(version);
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
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
