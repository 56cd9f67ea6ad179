package dev.hangar.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An agent's hold on its data directory, for as long as it runs: a second agent on the same
 * directory would take back the first one's jobs at its start (both are the host's node) and sweep
 * its sandboxes as leftovers. A lock on a file there, which the system lets go when the process
 * ends, however it ends; the file names the holder's pid for the refusal.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE = "agent.lock";
    /**
     * The lock files this process holds, by real path: refused before the file is opened again, as closing any
     * channel of a file lets go of every lock this process has on it (POSIX locks are the process's, not a channel's).
     */
    private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final FileChannel channel;
    private final FileLock lock;
    private final Path held;
    private boolean closed;

    private DataDirLock(FileChannel channel, FileLock lock, Path held) {
        this.channel = channel;
        this.lock = lock;
        this.held = held;
    }

    /** Takes the directory, or refuses naming the process that has it. */
    static DataDirLock take(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        Path real;
        try {
            real = dataDir.toRealPath().resolve(FILE);
        } catch (IOException e) {
            throw new UncheckedIOException("--data-dir " + dataDir + ": cannot be read (" + NodeOptions.why(e) + ")", e);
        }
        if (!HELD.add(real)) {
            throw inUse(dataDir, " (pid " + ProcessHandle.current().pid() + ", this very process)");
        }
        try {
            return take(dataDir, file, real);
        } catch (RuntimeException e) {
            HELD.remove(real);
            throw e;
        }
    }

    private static DataDirLock take(Path dataDir, Path file, Path real) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) { // held by this very process
                lock = null;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (lock == null) {
                channel.close();
                throw inUse(dataDir, holder(file));
            }
            channel.truncate(0).write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid())
                    .getBytes(StandardCharsets.US_ASCII)), 0);
            return new DataDirLock(channel, lock, real);
        } catch (IOException e) {
            throw new UncheckedIOException("--data-dir " + dataDir + ": cannot lock " + file + " (" + NodeOptions.why(e) + ")", e);
        }
    }

    private static IllegalStateException inUse(Path dataDir, String holder) {
        return new IllegalStateException("--data-dir " + dataDir + " is in use by another Hangar agent on this host"
                + holder + ": two agents on one data directory take back each other's jobs and remove"
                + " each other's sandboxes; stop that one, or give this one another --data-dir and another"
                + " --node-name (two agents of one name on a shared queue take back each other's jobs too)");
    }

    private static String holder(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return pid.matches("\\d{1,10}") ? " (pid " + pid + ")" : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return; // why: a second close would let go of the path another take holds by now
        }
        closed = true;
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            HELD.remove(held);
        }
    }
}
