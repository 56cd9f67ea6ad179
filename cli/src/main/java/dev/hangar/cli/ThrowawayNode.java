package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A node started in this process for one command (a run or an explain without a server), on this
 * host's images, its store in a temporary directory that goes with it: also when the command is
 * interrupted (Ctrl-C, SIGTERM), as the store holds the job's environment and standard input.
 */
final class ThrowawayNode {
    /** How long an interrupted command's exit waits for the node to close and its store to go. */
    private static final Duration CLEANUP_BOUND = Duration.ofSeconds(15);

    /** What a command does with the node's address. */
    @FunctionalInterface
    interface Use<T> {
        T apply(URI url) throws Exception;
    }

    private ThrowawayNode() {}

    static <T> T use(String name, AgentConfig here, Use<T> use) throws Exception {
        Path dataDir = ThrowawayDirs.make(name);
        Path images = new NodeOptions().dataDir().resolve("images");
        var gone = new CountDownLatch(1);
        // why: at an interrupt the JVM ends once its hooks have; this one holds it until the node closed
        // (a run's job, cancelled by its own hook, ends first) and the store was deleted
        Thread awaitCleanup = Thread.ofPlatform().unstarted(() -> {
            try {
                gone.await(CLEANUP_BOUND.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(awaitCleanup);
        try (var local = EmbeddedHangar.start(dataDir, images, "127.0.0.1", 0, here)) {
            return use.apply(local.url());
        } finally {
            try {
                ThrowawayDirs.delete(dataDir);
            } finally {
                gone.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(awaitCleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs, and finds the store gone
                }
            }
        }
    }
}
