package dev.hangar.queue.redis;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** One Redis Cluster of three masters for a test class: started before its tests, stopped after them. */
final class RedisClusterExtension implements BeforeAllCallback, AfterAllCallback {
    private RedisClusterProcess cluster;

    RedisClusterProcess cluster() {
        return cluster;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        cluster = RedisClusterProcess.start(3);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }
}
