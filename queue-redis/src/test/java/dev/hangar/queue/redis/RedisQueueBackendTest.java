package dev.hangar.queue.redis;

import java.net.URI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract every backend passes, against a real redis-server. */
class RedisQueueBackendTest extends RedisContractTest {
    private static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected URI location(String query) {
        return redis.uri(query);
    }
}
