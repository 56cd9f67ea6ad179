package dev.hangar.agent;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Host-wide claims on GPUs, so that two Hangar nodes on one host never give one device to two jobs: an agent and the
 * node a {@code hangar run} starts beside it when no server answers, or two {@code hangar up} of other data
 * directories, each count every GPU as theirs. A claim is a lock on a file per device in a directory every process
 * of the host shares, held while a job has the device; the kernel lets it go when its process dies.
 *
 * <p>A node that makes a file makes it readable and writable by every user, so that a node run by another user
 * (root's agent, a user's {@code hangar run}) can claim it too; one made already is opened as it is, without asking to
 * create it (a sticky directory refuses that of another's file), and a link is never followed. Where a file cannot
 * be used (a lock directory only root may write), the node claims nothing and warns once: its own count still holds,
 * as it did before claims. Any user of the host may hold a file's lock, and so keep that GPU from every node.
 */
final class GpuClaims {
    /** Where the claims of every Hangar process of this host are: the host's lock directory (on Debian sticky, writable by all). */
    static final Path HOST_WIDE = Path.of("/run/lock");
    private static final System.Logger LOG = System.getLogger(GpuClaims.class.getName());
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> EVERY_USER =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-");
    /**
     * Each lock file's one channel in this JVM, never closed: closing any descriptor of a file lets go of every lock
     * the process holds on it, so a channel of a claims object let go of (and cleaned) would end another's claims.
     */
    private static final Map<Path, FileChannel> FILES = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path dir;
    private final Map<String, FileLock> held = new HashMap<>();
    private boolean warned;

    GpuClaims(Path dir) {
        this.dir = dir;
    }

    /** Claims {@code gpu} for a job of this node; false if another node (process, or one in this JVM) has it. */
    synchronized boolean claim(String gpu) {
        if (held.containsKey(gpu)) {
            return false;
        }
        FileChannel file = file(gpu);
        if (file == null) {
            return true;
        }
        try {
            FileLock lock = file.tryLock();
            if (lock == null) {
                return false;
            }
            held.put(gpu, lock);
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // another node in this JVM holds it
        } catch (IOException e) {
            warnOnce(e);
            return true;
        }
    }

    /** Lets {@code gpu} go, claimed or not. */
    synchronized void free(String gpu) {
        FileLock lock = held.remove(gpu);
        if (lock != null) {
            try {
                lock.release();
            } catch (IOException e) {
                warnOnce(e); // its file stays open: the claim ends with the process
            }
        }
    }

    /** Whether another node has {@code gpu} now: tried and let go at once. */
    synchronized boolean takenElsewhere(String gpu) {
        if (held.containsKey(gpu)) {
            return false;
        }
        boolean free = claim(gpu);
        free(gpu);
        return !free;
    }

    /** The device's lock file, opened once in this JVM; null if it cannot be used. */
    private FileChannel file(String gpu) {
        Path path = dir.resolve("hangar-gpu-" + gpu + ".lock");
        try {
            return FILES.computeIfAbsent(path, GpuClaims::open);
        } catch (java.io.UncheckedIOException e) {
            warnOnce(e.getCause());
            return null;
        }
    }

    private static FileChannel open(Path path) {
        try {
            try {
                return FileChannel.open(path, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            } catch (java.nio.file.NoSuchFileException none) {
                FileChannel made = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                // this process's own file, which no other user may replace in a sticky directory: past the umask
                Files.getFileAttributeView(path, java.nio.file.attribute.PosixFileAttributeView.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS).setPermissions(EVERY_USER);
                return made;
            } catch (java.nio.file.FileAlreadyExistsException madeMeanwhile) {
                return FileChannel.open(path, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void warnOnce(IOException e) {
        if (!warned) {
            warned = true;
            LOG.log(System.Logger.Level.WARNING, "cannot claim GPUs host-wide in " + dir + " (" + e + "): another Hangar"
                    + " node on this host could give a job a GPU this one gives too");
        }
    }
}
