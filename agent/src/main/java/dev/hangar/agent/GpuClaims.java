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
 * <p>The files are made readable and writable by every user, so that a node run by another user (root's agent, a
 * user's {@code hangar run}) can claim them too; the directory's sticky bit keeps any user from replacing another's
 * file, and a link there is not followed. A file that cannot be used claims nothing and warns once: the node's own
 * count still holds, as it did before claims.
 */
final class GpuClaims {
    /** Where the claims of every Hangar process of this host are: the host's lock directory, sticky and writable by all. */
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
            FileChannel file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            try {
                Files.setPosixFilePermissions(path, EVERY_USER); // past the umask; only its owner may
            } catch (IOException notOwner) {
                // made by another user, who gave it these
            }
            return file;
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
