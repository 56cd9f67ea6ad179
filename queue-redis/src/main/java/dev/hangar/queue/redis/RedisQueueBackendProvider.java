package dev.hangar.queue.redis;

import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueBackendProvider;
import java.net.URI;
import java.time.Clock;
import java.util.Set;

/**
 * Opens {@code redis://host:port[/db][?prefix=hangar&retention=P7D&...]} and
 * {@code redis-sentinel://sentinel:26379[,...][/db]?master=NAME[&...]} and
 * {@code redis-cluster://node:6379[,...][?...]}, each also with TLS as {@code rediss...} (see {@link RedisSettings}
 * and {@link RedisTls}).
 */
public final class RedisQueueBackendProvider implements QueueBackendProvider {
    @Override
    public Set<String> schemes() {
        return Set.of("redis", RedisSettings.SENTINEL, RedisSettings.CLUSTER,
                RedisTls.scheme("redis", true), RedisTls.scheme(RedisSettings.SENTINEL, true), RedisTls.scheme(RedisSettings.CLUSTER, true));
    }

    @Override
    public QueueBackend open(URI location, Clock clock) {
        return RedisQueueBackend.open(location, clock);
    }
}
