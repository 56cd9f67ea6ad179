package dev.hangar.cli;

import java.net.URI;

/** The check every {@code --redis} flag gets, so a typo is named before anything connects. */
final class RedisLocations {
    private RedisLocations() {}

    static URI check(URI location) {
        if (location == null) {
            return null;
        }
        if (!"redis".equals(location.getScheme()) || location.getHost() == null) {
            throw new IllegalArgumentException("--redis: expected redis://HOST[:PORT][/DB], got '" + location + "'");
        }
        return location;
    }
}
