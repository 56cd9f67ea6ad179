package dev.hangar.queue.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Prepared statements with positional parameters, without the JDBC boilerplate. */
final class Sql {
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private Sql() {}

    static int update(Connection connection, String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, params)) {
            return statement.executeUpdate();
        }
    }

    /** Looks at one row, on the result set's current row; returns whether to go on to the next. */
    interface RowVisitor {
        boolean visit(ResultSet rs) throws SQLException;
    }

    static <T> List<T> query(Connection connection, String sql, RowMapper<T> mapper, Object... params)
            throws SQLException {
        List<T> rows = new ArrayList<>();
        scan(connection, sql, rs -> rows.add(mapper.map(rs)), params);
        return rows;
    }

    /**
     * The first row, in the query's order, that {@code test} accepts. Rows after it are never read:
     * SQLite computes a row only when it is stepped to, so what they would cost is not paid.
     */
    static <T> Optional<T> first(Connection connection, String sql, RowMapper<T> mapper,
            java.util.function.Predicate<T> test, Object... params) throws SQLException {
        List<T> found = new ArrayList<>(1);
        scan(connection, sql, rs -> {
            T row = mapper.map(rs);
            if (test.test(row)) {
                found.add(row);
                return false;
            }
            return true;
        }, params);
        return found.stream().findFirst();
    }

    /** Visits the rows in the query's order until the visitor says stop; the rest are never read. */
    static void scan(Connection connection, String sql, RowVisitor visitor, Object... params) throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, params);
                ResultSet rs = statement.executeQuery()) {
            while (rs.next() && visitor.visit(rs)) {
                // the visitor did the work
            }
        }
    }

    static <T> Optional<T> queryOne(Connection connection, String sql, RowMapper<T> mapper, Object... params)
            throws SQLException {
        List<T> rows = query(connection, sql, mapper, params);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    /** A nullable INTEGER column. */
    static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... params) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < params.length; i++) {
                Object value = params[i] instanceof Boolean flag ? (flag ? 1 : 0) : params[i];
                statement.setObject(i + 1, value);
            }
            return statement;
        } catch (SQLException | RuntimeException e) {
            statement.close();
            throw e;
        }
    }
}
