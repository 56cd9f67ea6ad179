package dev.hangar.cli;

import java.net.URI;
import picocli.CommandLine.Option;

/** Where a cluster's shared queue is. */
final class ClusterOptions {
    @Option(names = "--redis", paramLabel = "URL", required = true,
            description = "The cluster's Redis, e.g. redis://10.0.0.5:6379 (add ?prefix=NAME to run several clusters on one Redis)")
    URI redis;

    URI queueLocation() {
        return RedisLocations.check(redis);
    }
}
