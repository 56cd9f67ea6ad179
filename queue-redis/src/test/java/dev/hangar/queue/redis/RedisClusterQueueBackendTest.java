package dev.hangar.queue.redis;

import java.net.URI;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract every backend passes, against a real Redis Cluster of three masters: each test's
 * queue has a prefix of its own, and so a slot of its own, on one node or another.
 */
class RedisClusterQueueBackendTest extends RedisContractTest {
    @RegisterExtension
    static final RedisClusterExtension CLUSTER = new RedisClusterExtension();

    @Override
    protected URI location(String query) {
        return CLUSTER.cluster().uri(query);
    }
}
