package dev.hangar.queue.sqlite;

import dev.hangar.core.queue.QueueException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * The one connection to the database file, guarded by a lock: an embedded single-node store needs
 * no pool, and one writer at a time is what SQLite allows anyway.
 */
final class SqliteDatabase implements AutoCloseable {
    /** Work done on the connection; throwing rolls the transaction back. */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed;

    private SqliteDatabase(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    static SqliteDatabase open(Path file) {
        SQLiteConfig config = new SQLiteConfig();
        // WAL with synchronous=NORMAL: a commit is in the WAL (the OS has it) before it returns, so a
        // crash of the process loses nothing; only a power cut or kernel crash may lose the last
        // commits. That is the promise: durable against process crashes, not against power loss.
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(10_000); // another process (a backup, the CLI) may hold the file briefly
        config.enforceForeignKeys(true);
        try {
            createOwnerOnly(file);
            Connection connection = config.createConnection("jdbc:sqlite:" + file);
            try {
                Schema.prepare(connection);
            } catch (SQLException | RuntimeException e) {
                connection.close();
                throw e;
            }
            return new SqliteDatabase(file, connection);
        } catch (SQLException e) {
            throw new QueueException("cannot open the SQLite queue at " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A new store's file, readable by its owner alone: it holds every job's environment and input,
     * secrets among them, and SQLite gives its WAL and shared-memory files the same mode.
     */
    private static void createOwnerOnly(Path file) {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException | UnsupportedOperationException e) {
            // an existing store keeps the mode its owner gave it; a file system without modes has none to set
        } catch (IOException e) {
            throw new QueueException("cannot create the SQLite queue at " + file + ": " + e, e);
        }
    }

    /**
     * Runs {@code work} in one write transaction. BEGIN IMMEDIATE takes the write lock up front, so
     * a read-then-update (lease, finish) cannot interleave with another process's write.
     */
    <T> T write(Work<T> work) {
        return write(work, () -> { });
    }

    /**
     * As {@link #write(Work)}, running {@code committed} once the transaction committed, still under
     * the lock: what it does follows the order of the commits. It must not fail, nor wait.
     */
    <T> T write(Work<T> work, Runnable committed) {
        return locked(c -> {
            execute("BEGIN IMMEDIATE");
            T result;
            try {
                result = work.run(c);
                execute("COMMIT");
            } catch (SQLException | RuntimeException | Error e) {
                rollback(e);
                throw e;
            }
            committed.run();
            return result;
        });
    }

    /**
     * Whether other calls wait for the store now: a long run of writes (a retention sweep's batches)
     * stops for them, as the lock is not fair (a fair one cost a fifth of the queue's throughput).
     */
    boolean othersWaiting() {
        return lock.hasQueuedThreads();
    }

    /** Runs a read. A single SELECT reads one consistent snapshot without a transaction. */
    <T> T read(Work<T> work) {
        return locked(work);
    }

    private <T> T locked(Work<T> work) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the SQLite queue at " + file + " is closed");
            }
            return work.run(connection);
        } catch (SQLException e) {
            throw new QueueException("SQLite queue at " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private void execute(String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private void rollback(Throwable cause) {
        try {
            execute("ROLLBACK");
        } catch (SQLException e) {
            // SQLite may already have rolled back (e.g. after SQLITE_FULL); then there is nothing to undo
            if (!String.valueOf(e.getMessage()).contains("no transaction is active")) {
                cause.addSuppressed(e);
            }
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                connection.close();
            }
        } catch (SQLException e) {
            throw new QueueException("cannot close the SQLite queue at " + file, e);
        } finally {
            lock.unlock();
        }
    }
}
