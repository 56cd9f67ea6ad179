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

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the directory, or refuses naming the process that has it. */
    static DataDirLock take(Path dataDir) {
        Path file = dataDir.resolve(FILE);
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
                throw new IllegalStateException("--data-dir " + dataDir + " is in use by another Hangar agent on this host"
                        + holder(file) + ": two agents on one data directory take back each other's jobs and remove"
                        + " each other's sandboxes; stop that one, or give this one another --data-dir and another"
                        + " --node-name (two agents of one name on a shared queue take back each other's jobs too)");
            }
            channel.truncate(0).write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid())
                    .getBytes(StandardCharsets.US_ASCII)), 0);
            return new DataDirLock(channel, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("--data-dir " + dataDir + ": cannot lock " + file + " (" + e.getMessage() + ")", e);
        }
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
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
