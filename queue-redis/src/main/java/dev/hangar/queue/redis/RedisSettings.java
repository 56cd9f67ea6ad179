package dev.hangar.queue.redis;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the queue lives and how it behaves, from a location such as
 * {@code redis://user:password@host:6379/2?prefix=hangar&retention=P7D}. Parameters: {@code prefix}
 * (the name all keys share, default hangar), {@code retention} (how long a final job and its log are
 * kept, ISO-8601, default P7D; P0D keeps them for ever), {@code timeout} (per command, default
 * PT10S), {@code changesMaxLen}, {@code logMaxLen} (chunks kept per job) and {@code deadMaxLen}
 * (how long the change, log and dead-letter streams may grow).
 */
record RedisSettings(RedisURI redis, String prefix, Duration retention, Duration timeout, long changesMaxLen,
        long logMaxLen, long deadMaxLen) {
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    static RedisSettings parse(URI location) {
        if (!"redis".equalsIgnoreCase(location.getScheme()) || location.getHost() == null) {
            throw new IllegalArgumentException("a redis location looks like redis://[user:password@]host:port[/db]"
                    + "[?prefix=hangar]; got " + redacted(location));
        }
        Map<String, String> params = query(location);
        String prefix = Objects.requireNonNullElse(params.remove("prefix"), "hangar");
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("prefix must be 1 to 64 letters, digits or ._:- (no braces); got '"
                    + prefix + "'");
        }
        Duration retention = duration(params, "retention", Duration.ofDays(7));
        Duration timeout = duration(params, "timeout", Duration.ofSeconds(10));
        if (retention.isNegative() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("retention may not be negative, timeout must be positive");
        }
        RedisURI.Builder redis = RedisURI.builder().withHost(location.getHost())
                .withPort(location.getPort() < 0 ? RedisURI.DEFAULT_REDIS_PORT : location.getPort())
                .withDatabase(database(location))
                .withTimeout(timeout);
        String userInfo = location.getUserInfo();
        if (userInfo != null && !userInfo.isEmpty()) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                redis.withPassword(userInfo.toCharArray());
            } else {
                redis.withAuthentication(userInfo.substring(0, colon), userInfo.substring(colon + 1).toCharArray());
            }
        }
        RedisSettings settings = new RedisSettings(redis.build(), prefix, retention, timeout,
                count(params, "changesMaxLen", 100_000), count(params, "logMaxLen", 100_000),
                count(params, "deadMaxLen", 10_000));
        if (!params.isEmpty()) {
            throw new IllegalArgumentException("unknown parameter(s) " + params.keySet() + " in " + redacted(location)
                    + "; known: prefix, retention, timeout, changesMaxLen, logMaxLen, deadMaxLen");
        }
        return settings;
    }

    /** The hash tag every key starts with, so that one Lua script may touch them all. */
    String keyPrefix() {
        return "{" + prefix + "}";
    }

    /** Where, for error messages; never the password. */
    String where() {
        return "redis://" + redis.getHost() + ":" + redis.getPort() + "/" + redis.getDatabase() + " (prefix " + prefix + ")";
    }

    /** The location as error messages show it: without its credentials. */
    static String redacted(URI location) {
        String text = location.toString();
        String userInfo = location.getRawUserInfo();
        return userInfo == null ? text : text.replace(userInfo + "@", "***@");
    }

    private static Map<String, String> query(URI location) {
        Map<String, String> params = new LinkedHashMap<>();
        String query = location.getRawQuery();
        if (query == null || query.isEmpty()) {
            return params;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected name=value in the query of " + redacted(location) + ", got '"
                        + pair + "'");
            }
            params.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
        }
        return params;
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    private static int database(URI location) {
        String path = location.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return 0;
        }
        try {
            return Integer.parseInt(path.substring(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the path of a redis location is the database number, got " + path);
        }
    }

    /** Takes the parameter out of {@code params}, so that what is left is unknown. */
    private static Duration duration(Map<String, String> params, String name, Duration fallback) {
        String value = params.remove(name);
        try {
            return value == null ? fallback : Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be an ISO-8601 duration such as P7D or PT1H, got '" + value + "'");
        }
    }

    private static long count(Map<String, String> params, String name, long fallback) {
        String value = params.remove(name);
        try {
            long count = value == null ? fallback : Long.parseLong(value);
            if (count < 1) {
                throw new NumberFormatException();
            }
            return count;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a positive whole number, got '" + value + "'");
        }
    }
}
