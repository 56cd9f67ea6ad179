package dev.hangar.queue.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The tables, created when absent. The schema version lives in {@code PRAGMA user_version}; each
 * change adds a step from the previous version ({@link #V2}) instead of editing {@link #V1}, so an
 * existing database is brought forward when opened.
 */
final class Schema {
    static final int VERSION = 9;

    /** Instants are epoch milliseconds; booleans are 0/1; JSON columns hold {@code Json.write} output. */
    private static final String[] V1 = {
        """
        CREATE TABLE jobs (
            seq              INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: FIFO order and paging cursor
            id               TEXT    NOT NULL UNIQUE,
            state            TEXT    NOT NULL,
            priority         INTEGER NOT NULL,
            not_before       INTEGER,           -- retry backoff: not leasable before this
            lease_owner      TEXT,
            lease_token      TEXT,              -- set exactly while SCHEDULED, STARTING or RUNNING
            lease_expires_at INTEGER,
            lease_ms         INTEGER,           -- the lease length asked for, reused by renew
            attempt          INTEGER NOT NULL DEFAULT 0,
            deliveries       INTEGER NOT NULL DEFAULT 0,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            cpus             REAL    NOT NULL,  -- copied from the spec for the capacity filter
            memory_mb        INTEGER NOT NULL,
            gpus             INTEGER NOT NULL,
            idempotency_key  TEXT UNIQUE,
            submitted_at     INTEGER NOT NULL,
            scheduled_at     INTEGER,
            starting_at      INTEGER,
            running_at       INTEGER,
            finished_at      INTEGER,
            node             TEXT,
            runtime          TEXT,
            selection        TEXT,              -- JSON
            exit_code        INTEGER,
            error            TEXT,
            output_truncated INTEGER NOT NULL DEFAULT 0,
            spec             TEXT    NOT NULL   -- JSON
        )""",
        "CREATE INDEX jobs_by_lease_order ON jobs (state, priority DESC, seq)",
        "CREATE INDEX jobs_by_state ON jobs (state, seq)",
        "CREATE INDEX jobs_by_lease_expiry ON jobs (lease_expires_at) WHERE lease_token IS NOT NULL",
        "CREATE INDEX jobs_by_lease_owner ON jobs (lease_owner) WHERE lease_token IS NOT NULL",
        """
        CREATE TABLE logs (
            job_id  TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            seq     INTEGER NOT NULL,           -- per job, from 1
            attempt INTEGER NOT NULL,
            stream  TEXT    NOT NULL,
            data    BLOB    NOT NULL,
            PRIMARY KEY (job_id, seq)
        )""",
    };

    /** How the sandbox of an attempt was had: warm pools and snapshots (issue 5). */
    private static final String[] V2 = {
        "ALTER TABLE jobs ADD COLUMN sandbox_ready_at INTEGER",
        "ALTER TABLE jobs ADD COLUMN start_path TEXT", // cold, warm or restored
        "ALTER TABLE jobs ADD COLUMN sandbox_id TEXT",
        "ALTER TABLE jobs ADD COLUMN sandbox_created_at INTEGER",
    };

    /** The number of the last output chunk stored under the current lease, so that one sent again is stored once. */
    private static final String[] V3 = {
        "ALTER TABLE jobs ADD COLUMN log_chunk INTEGER NOT NULL DEFAULT 0",
    };

    /** The delivery whose run wrote each chunk of output, so that a run after a lost lease can be told from the lost one. */
    private static final String[] V4 = {
        "ALTER TABLE logs ADD COLUMN delivery INTEGER NOT NULL DEFAULT 0",
    };

    /** Final jobs by when they finished, for the retention's deletes. */
    private static final String[] V5 = {
        "CREATE INDEX jobs_by_finish ON jobs (finished_at) WHERE finished_at IS NOT NULL",
    };

    /** A tenant's jobs, newest first, for its lists (the expression is the one list() filters by). */
    private static final String[] V6 = {
        "CREATE INDEX jobs_by_tenant ON jobs (json_extract(spec, '$.tenant'), seq) WHERE json_extract(spec, '$.tenant') IS NOT NULL",
    };

    /**
     * A node's jobs, newest first, for its lists: without it a list of another node's jobs read the
     * whole table while holding the store, every lease and append waiting behind it.
     */
    private static final String[] V7 = {
        "CREATE INDEX jobs_by_node ON jobs (node, seq) WHERE node IS NOT NULL",
    };

    /** What the store keeps of how it was opened (its retention), so that a start without the option keeps it. */
    private static final String[] V8 = {
        "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    };

    /**
     * A tenant's or a node's jobs in some states, newest first (list() names them when states are
     * asked): by the indexes of V6 and V7 alone such a list read the tenant's or node's whole history
     * to fill a page of its few running jobs, while holding the store. And a job's deliveries handed
     * back at a worker's stop, which count toward no limit (AttemptVerdict#afterStop).
     */
    private static final String[] V9 = {
        "ALTER TABLE jobs ADD COLUMN stops INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX " + SqliteQueueBackend.BY_TENANT_AND_STATE + " ON jobs (json_extract(spec, '$.tenant'), state, seq)"
                + " WHERE json_extract(spec, '$.tenant') IS NOT NULL",
        "CREATE INDEX " + SqliteQueueBackend.BY_NODE_AND_STATE + " ON jobs (node, state, seq) WHERE node IS NOT NULL",
    };

    private static final String[][] STEPS = {V1, V2, V3, V4, V5, V6, V7, V8, V9};

    private Schema() {}

    /** Checks the pragmas took and creates the tables in an empty file. */
    static void prepare(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            String journal = queryString(statement, "PRAGMA journal_mode");
            if (!"wal".equalsIgnoreCase(journal)) {
                // e.g. a network file system without shared memory: refuse rather than run unsafely
                throw new SQLException("could not switch to WAL journal mode (got " + journal + ")");
            }
            statement.execute("BEGIN IMMEDIATE");
            try {
                int version = Integer.parseInt(queryString(statement, "PRAGMA user_version"));
                if (version > VERSION) {
                    throw new SQLException("the database has schema version " + version
                            + ", newer than this Hangar knows (" + VERSION + "); upgrade Hangar");
                }
                for (int step = version; step < VERSION; step++) {
                    for (String ddl : STEPS[step]) {
                        statement.execute(ddl);
                    }
                }
                if (version < VERSION) {
                    statement.execute("PRAGMA user_version = " + VERSION);
                }
                statement.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                try {
                    statement.execute("ROLLBACK");
                } catch (SQLException notActive) {
                    // SQLite rolls back by itself on some errors (a full disk): the cause is what to tell
                    e.addSuppressed(notActive);
                }
                throw e;
            }
        }
    }

    private static String queryString(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
