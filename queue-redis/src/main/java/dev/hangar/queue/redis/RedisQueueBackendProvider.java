package dev.hangar.queue.redis;

import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueBackendProvider;
import java.net.URI;
import java.time.Clock;

/** Opens {@code redis://host:port[/db][?prefix=hangar&retention=P7D&...]} (see {@link RedisSettings}). */
public final class RedisQueueBackendProvider implements QueueBackendProvider {
    @Override
    public String scheme() {
        return "redis";
    }

    @Override
    public QueueBackend open(URI location, Clock clock) {
        return RedisQueueBackend.open(location, clock);
    }
}
