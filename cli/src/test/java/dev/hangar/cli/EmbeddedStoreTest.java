package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.queue.sqlite.SqliteQueueBackendProvider;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The location of a node's own store, as the SQLite backend opens it: any data directory, spaces and all. */
class EmbeddedStoreTest {
    @TempDir
    Path dir;

    @Test
    void aDataDirectoryWithSpacesAndOddCharactersHoldsTheStore() throws Exception {
        Path dataDir = Files.createDirectories(dir.resolve("my data #1 %20 ü ?a=b"));

        URI plain = EmbeddedHangar.sqliteStore(dataDir, null);
        URI kept = EmbeddedHangar.sqliteStore(dataDir, "retention=P30D");

        try (QueueBackend queue = new SqliteQueueBackendProvider().open(plain, Clock.systemUTC())) {
            queue.enqueue(JobSpec.builder().command("true").build());
        }
        try (QueueBackend queue = new SqliteQueueBackendProvider().open(kept, Clock.systemUTC())) {
            assertThat(queue.countByState().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1);
        }
        assertThat(dataDir.resolve("hangar.db")).exists();
    }

    @Test
    void aNodeStartedOnADataDirectoryInUseIsRefusedBeforeItOpensTheStore() throws Exception {
        Path dataDir = Files.createDirectories(dir.resolve("in-use"));
        try (var running = DataDirLock.take(dataDir)) { // a node that runs there
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> EmbeddedHangar.start(null, dataDir,
                    dir.resolve("images"), "127.0.0.1", 0, dev.hangar.agent.AgentConfig.forThisHost("in-use"),
                    java.util.Optional.empty())).hasMessageContaining("is in use");
        }
        // it opened (and would have migrated) the running node's store first, and only then found the directory in use
        assertThat(dataDir.resolve("hangar.db")).doesNotExist();
    }
}
