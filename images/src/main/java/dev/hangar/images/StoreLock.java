package dev.hangar.images;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock of one image store's root, across threads and processes: a lock per root in this JVM
 * (a file lock is held by a whole process, and two in one JVM on one file throw), then an exclusive
 * lock on {@code <root>/.lock} for other processes.
 */
final class StoreLock {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_THIS_PROCESS = new ConcurrentHashMap<>();

    private final Path root;
    private final ReentrantLock local;

    StoreLock(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.local = IN_THIS_PROCESS.computeIfAbsent(this.root, r -> new ReentrantLock());
    }

    /** Waits for the lock, making the root if missing; closing the result lets go. */
    Held hold() throws IOException {
        local.lock();
        try {
            Files.createDirectories(root);
            FileChannel channel = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return new Held(channel, channel.lock());
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            local.unlock();
            throw e;
        }
    }

    final class Held implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
                channel.close();
            } finally {
                local.unlock();
            }
        }
    }
}
