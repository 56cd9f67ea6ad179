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
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The one connection to the database file, guarded by a lock: an embedded single-node store needs
 * no pool, and one writer at a time is what SQLite allows anyway.
 */
final class SqliteDatabase implements AutoCloseable {
    /** Work done on the connection; throwing rolls the transaction back. */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** SQLite's primary result codes of a write that failed for want of storage. */
    private static final Set<Integer> STORAGE_FAULTS = Set.of(SQLiteErrorCode.SQLITE_IOERR.code,
            SQLiteErrorCode.SQLITE_FULL.code, SQLiteErrorCode.SQLITE_CANTOPEN.code, SQLiteErrorCode.SQLITE_READONLY.code);

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed;
    /**
     * The last write that failed for want of storage (the disk full, the file system read-only after an I/O
     * error), until a write that changed rows succeeds: reads still work then, and a health check that only
     * read said ready while every submit, lease and finish failed.
     */
    private volatile StorageFault storageFault;

    private record StorageFault(String reason, long atNanos) {}

    /**
     * How long a storage fault keeps the store unready with no write since: an idle store would otherwise stay so
     * after its space came back, and a load balancer that heeds readiness send it no write to find out.
     */
    static final java.time.Duration FAULT_HELD = java.time.Duration.ofSeconds(30);

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
            // why changed rows: a write that changes none (an upkeep with nothing due) commits on a full disk too
            long changedBefore = storageFault == null ? 0 : changes();
            execute("BEGIN IMMEDIATE");
            T result;
            try {
                result = work.run(c);
                execute("COMMIT");
            } catch (SQLException | RuntimeException | Error e) {
                rollback(e);
                if (e instanceof SQLiteException sqlite && STORAGE_FAULTS.contains(sqlite.getResultCode().code & 0xff)) {
                    storageFault = new StorageFault(e.getMessage(), System.nanoTime());
                }
                throw e;
            }
            if (storageFault != null && changes() > changedBefore) {
                storageFault = null;
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

    /** Throws if a write failed for want of storage within {@link #FAULT_HELD}, and none that changed rows succeeded since. */
    void checkWritable() {
        StorageFault fault = storageFault;
        if (fault == null) {
            return;
        }
        long ago = System.nanoTime() - fault.atNanos();
        if (ago < FAULT_HELD.toNanos()) {
            throw new QueueException("the SQLite queue at " + file + " could not be written " + ago / 1_000_000_000
                    + " s ago, and has not been since: " + fault.reason(), null);
        }
    }

    /** Rows changed by this connection since it opened. */
    private long changes() throws SQLException {
        return ((org.sqlite.SQLiteConnection) connection).getDatabase().total_changes();
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
