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
        // rediss...: the same, with TLS
        String scheme = String.valueOf(location.getScheme()).replaceFirst("^rediss", "redis");
        boolean plain = "redis".equals(scheme) && location.getHost() != null;
        boolean listed = ("redis-sentinel".equals(scheme) || "redis-cluster".equals(scheme))
                && location.getRawAuthority() != null;
        if (!plain && !listed) {
            throw new IllegalArgumentException("--redis: expected redis://[USER:PASSWORD@]HOST[:PORT][/DB],"
                    + " redis-sentinel://[USER:PASSWORD@]SENTINEL[:PORT][,SENTINEL2[:PORT]...][/DB]?master=NAME or"
                    + " redis-cluster://[USER:PASSWORD@]NODE[:PORT][,NODE2[:PORT]...] (rediss://, rediss-sentinel://,"
                    + " rediss-cluster:// with TLS), got '" + shown(location) + "'");
        }
        return location;
    }

    static String shown(URI location) {
        return RedisQueueBackend.shown(location);
    }
}
