package dev.hangar.cli;

import java.net.URI;
import picocli.CommandLine.Option;

/** Where a cluster's shared queue is. */
final class ClusterOptions {
    @Option(converter = LocationConverter.class, names = "--redis", paramLabel = "URL", required = true,
            description = "The cluster's Redis, e.g. redis://10.0.0.5:6379, or its sentinels, e.g. "
                    + "redis-sentinel://10.0.0.5:26379,10.0.0.6:26379?master=NAME, or nodes of a Redis Cluster, e.g. "
                    + "redis-cluster://10.0.0.5:6379,10.0.0.6:6379 (add prefix=NAME to run several clusters on one Redis);"
                    + " rediss://, rediss-sentinel://, rediss-cluster:// connect with TLS (tlsCa=FILE trusts your authority)")
    URI redis;

    URI queueLocation() {
        return RedisLocations.check(redis);
    }
}
