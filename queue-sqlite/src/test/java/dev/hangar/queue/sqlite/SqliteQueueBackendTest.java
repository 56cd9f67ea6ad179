package dev.hangar.queue.sqlite;

import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueListeners;
import dev.hangar.queue.testkit.QueueBackendContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

class SqliteQueueBackendTest extends QueueBackendContractTest {
    /** The contract makes a listener fail on purpose; its logged stack trace is noise here. */
    private static final Logger LISTENER_LOG = Logger.getLogger(QueueListeners.class.getName());

    @BeforeAll
    static void quietListenerWarnings() {
        LISTENER_LOG.setUseParentHandlers(false);
    }

    @AfterAll
    static void restoreListenerWarnings() {
        LISTENER_LOG.setUseParentHandlers(true);
    }

    @TempDir
    Path dir;
    private Path file;
    private int crashes;

    @Override
    protected QueueBackend open(Clock clock) {
        file = dir.resolve("hangar.db");
        return SqliteQueueBackend.open(file, clock);
    }

    /**
     * Copies the database and its WAL while the old backend still has them open, i.e. as a killed
     * process leaves them: no checkpoint, no clean close. The copy is what the new process opens.
     */
    @Override
    protected QueueBackend reopenAfterCrash(QueueBackend running, Clock clock) {
        try {
            Path after = Files.createDirectories(dir.resolve("after-crash-" + ++crashes)).resolve("hangar.db");
            Files.copy(file, after);
            Path wal = file.resolveSibling(file.getFileName() + "-wal");
            if (Files.exists(wal)) {
                Files.copy(wal, after.resolveSibling("hangar.db-wal"));
            }
            running.close();
            file = after;
            return SqliteQueueBackend.open(file, clock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
