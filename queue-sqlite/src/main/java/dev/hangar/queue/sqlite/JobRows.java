package dev.hangar.queue.sqlite;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.StartPath;
import dev.hangar.core.job.Timings;
import dev.hangar.core.json.Json;
import dev.hangar.core.select.Selection;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Reads jobs out of the {@code jobs} table. */
final class JobRows {
    static final String SELECT = """
            SELECT seq, id, spec, state, attempt, deliveries, submitted_at, scheduled_at, starting_at, sandbox_ready_at,
                   running_at, finished_at, start_path, sandbox_id, sandbox_created_at, node, runtime, selection, exit_code,
                   error, output_truncated, cancel_requested
            FROM jobs
            """;

    private JobRows() {}

    /** The job matching {@code where} (e.g. {@code "WHERE id = ?"}). */
    static Optional<Job> one(Connection connection, String where, Object... params) throws SQLException {
        return Sql.queryOne(connection, SELECT + where, JobRows::read, params);
    }

    static List<Job> all(Connection connection, String where, Object... params) throws SQLException {
        return Sql.query(connection, SELECT + where, JobRows::read, params);
    }

    static Job read(ResultSet rs) throws SQLException {
        String selection = rs.getString("selection");
        Long exitCode = Sql.nullableLong(rs, "exit_code");
        return new Job(
                rs.getString("id"),
                Json.readStored(rs.getString("spec"), JobSpec.class),
                JobState.valueOf(rs.getString("state")),
                rs.getInt("attempt"),
                rs.getInt("deliveries"),
                new Timings(
                        instant(rs, "submitted_at"),
                        instant(rs, "scheduled_at"),
                        instant(rs, "starting_at"),
                        instant(rs, "sandbox_ready_at"),
                        instant(rs, "running_at"),
                        instant(rs, "finished_at"),
                        startPath(rs.getString("start_path")),
                        rs.getString("sandbox_id"),
                        instant(rs, "sandbox_created_at")),
                rs.getString("node"),
                rs.getString("runtime"),
                selection == null ? null : Json.readStored(selection, Selection.class),
                exitCode == null ? null : Math.toIntExact(exitCode),
                rs.getString("error"),
                rs.getInt("output_truncated") != 0,
                rs.getInt("cancel_requested") != 0);
    }

    private static StartPath startPath(String stored) {
        return stored == null ? null : StartPath.valueOf(stored);
    }

    static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Long millis = Sql.nullableLong(rs, column);
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }
}
