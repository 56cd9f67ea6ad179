package dev.hangar.cli;

import dev.hangar.queue.redis.RedisQueueBackend;
import java.net.URI;

/**
 * The check every {@code --redis} flag gets, so a typo is named before anything connects, and the
 * form in which a location is shown: without its password.
 */
final class RedisLocations {
    private RedisLocations() {}

    static URI check(URI location) {
        if (location == null) {
            return null;
        }
        boolean plain = "redis".equals(location.getScheme()) && location.getHost() != null;
        boolean listed = ("redis-sentinel".equals(location.getScheme()) || "redis-cluster".equals(location.getScheme()))
                && location.getRawAuthority() != null;
        if (!plain && !listed) {
            throw new IllegalArgumentException("--redis: expected redis://[USER:PASSWORD@]HOST[:PORT][/DB],"
                    + " redis-sentinel://[USER:PASSWORD@]SENTINEL[:PORT][,SENTINEL2[:PORT]...][/DB]?master=NAME or"
                    + " redis-cluster://[USER:PASSWORD@]NODE[:PORT][,NODE2[:PORT]...], got '" + shown(location) + "'");
        }
        return location;
    }

    static String shown(URI location) {
        return RedisQueueBackend.shown(location);
    }
}
