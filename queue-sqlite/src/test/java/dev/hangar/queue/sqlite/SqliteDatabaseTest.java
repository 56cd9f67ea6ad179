package dev.hangar.queue.sqlite;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.queue.QueueException;
import java.nio.file.Path;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one connection to a store's file, when its storage runs out. */
class SqliteDatabaseTest {
    @TempDir
    Path dir;

    private static void sql(SqliteDatabase db, String sql) {
        db.read(c -> {
            try (Statement statement = c.createStatement()) {
                statement.execute(sql);
            }
            return null;
        });
    }

    private static void insert(SqliteDatabase db, int bytes) {
        db.write(c -> {
            try (Statement statement = c.createStatement()) {
                statement.execute("INSERT INTO full_test VALUES (randomblob(" + bytes + "))");
            }
            return null;
        });
    }

    @Test
    void aWriteThatFailsForWantOfStorageMakesTheStoreUnwritableUntilAWriteThatChangesRowsSucceeds() {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("hangar.db"))) {
            db.write(c -> {
                try (Statement statement = c.createStatement()) {
                    statement.execute("CREATE TABLE full_test (data BLOB)");
                }
                return null;
            });
            // the store's file may grow no further: SQLITE_FULL, as on a full disk
            sql(db, "PRAGMA max_page_count = " + db.read(c -> {
                try (Statement statement = c.createStatement(); var rows = statement.executeQuery("PRAGMA page_count")) {
                    return rows.getLong(1);
                }
            }));
            assertThatThrownBy(() -> insert(db, 1024 * 1024)).isInstanceOf(QueueException.class);

            // a health check read the store and said ready, while every write failed
            assertThatThrownBy(db::checkWritable).isInstanceOf(QueueException.class)
                    .hasMessageContaining("could not be written").hasMessageContaining("full");
            db.write(c -> null); // a write that changes nothing commits on a full disk too: no sign of space
            assertThatThrownBy(db::checkWritable).isInstanceOf(QueueException.class);

            sql(db, "PRAGMA max_page_count = 1000000"); // the space back
            insert(db, 1024 * 1024);
            assertThatCode(db::checkWritable).doesNotThrowAnyException();
        }
    }
}
