package dev.hangar.it;

import dev.hangar.agent.AgentConfig;
import dev.hangar.cli.EmbeddedHangar;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** One real node (store, agent, server on a free port) for the tests of a class. */
abstract class OneNodeIT {
    @TempDir
    static Path dataDir;

    static EmbeddedHangar hangar;
    static Api api;

    @BeforeAll
    static void startNode() throws Exception {
        Host.assumeBubblewrap();
        hangar = EmbeddedHangar.start(dataDir, "127.0.0.1", 0,
                AgentConfig.forThisHost("node").withLeaseFor(Duration.ofSeconds(10)).withLabels(java.util.Map.of("zone", "it")));
        api = new Api(hangar.url());
    }

    @AfterAll
    static void stopNode() {
        if (hangar != null) {
            hangar.close();
            hangar = null;
        }
    }
}
