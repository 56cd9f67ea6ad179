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
 * <p>A directory that cannot be used (no right to write it) claims nothing and warns once: the node's own count
 * still holds, as it did before claims.
 */
final class GpuClaims {
    /** Where the claims of every Hangar process of this host are: {@code /run/lock} is the host's, writable by all. */
    static final Path HOST_WIDE = Path.of("/run/lock/hangar-gpus");
    private static final System.Logger LOG = System.getLogger(GpuClaims.class.getName());

    private final Path dir;
    private final Map<String, FileChannel> files = new HashMap<>();
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

    /** The device's lock file, opened once; null if the directory cannot be used. */
    private FileChannel file(String gpu) {
        FileChannel file = files.get(gpu);
        if (file != null) {
            return file;
        }
        try {
            Files.createDirectories(dir);
            file = FileChannel.open(dir.resolve("gpu-" + gpu + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            files.put(gpu, file);
            return file;
        } catch (IOException e) {
            warnOnce(e);
            return null;
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
