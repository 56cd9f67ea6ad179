package dev.hangar.queue.redis;

import dev.hangar.core.queue.QueueBackend;
import dev.hangar.queue.testkit.QueueBackendContractTest;
import java.net.URI;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract every backend passes, against a real Redis that a subclass starts; each test has a prefix of its own. */
abstract class RedisContractTest extends QueueBackendContractTest {
    private static final AtomicInteger TESTS = new AtomicInteger();
    /** The contract makes a listener fail on purpose; its logged stack trace is noise here. */
    private static final Logger FEED_LOG = Logger.getLogger(ChangeFeed.class.getName());

    private URI location;

    /** The location of the subclass's Redis, with this query. */
    protected abstract URI location(String query);

    @BeforeAll
    static void quietFeed() {
        FEED_LOG.setUseParentHandlers(false);
    }

    @AfterAll
    static void loudFeed() {
        FEED_LOG.setUseParentHandlers(true);
    }

    @Override
    protected QueueBackend open(Clock clock) {
        location = location("prefix=contract-" + TESTS.incrementAndGet());
        return RedisQueueBackend.open(location, clock);
    }

    /** A crashed process leaves nothing behind but what is in Redis: close without cleanup, open anew. */
    @Override
    protected QueueBackend reopenAfterCrash(QueueBackend running, Clock clock) {
        running.close();
        return RedisQueueBackend.open(location, clock);
    }
}
