package dev.hangar.queue.redis;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Where the queue lives and how it behaves, from a location such as
 * {@code redis://user:password@host:6379/2?prefix=hangar&retention=P7D}, or, for a master that Redis
 * Sentinel fails over, {@code redis-sentinel://user:password@s1:26379,s2:26379/2?master=NAME&replicas=1}
 * (the credentials are the master's; the sentinels are asked for the master on every connect, so a
 * client follows a failover; sentinels that ask for a password of their own get {@code sentinelPassword},
 * with {@code sentinelUser} for an ACL user; {@code sentinels} lists more of them, e.g. IPv6 ones:
 * {@code redis-sentinel://[::1]:26379/?master=NAME&sentinels=[::2]:26379,[::3]:26379}), or, for a Redis
 * Cluster, {@code redis-cluster://user:password@n1:6379,n2:6379} (any of its nodes; {@code nodes} lists
 * more, as {@code sentinels} does). Each connects with TLS as {@code rediss://}, {@code rediss-sentinel://}
 * or {@code rediss-cluster://} (see {@link RedisTls} for its parameters). Parameters: {@code prefix} (the name all keys share, default hangar),
 * {@code retention} (how long a final job and its log are kept, ISO-8601, default P7D; P0D keeps them
 * for ever), {@code timeout} (per command, default PT10S), {@code changesMaxLen}, {@code logMaxLen}
 * (chunks kept per job) and {@code deadMaxLen} (how long the change, log and dead-letter streams may
 * grow), {@code master} (the name the sentinels monitor) and {@code replicas} (how many replicas must
 * hold a write that accepts a job or records its end before it is confirmed, default 0).
 */
record RedisSettings(RedisURI redis, List<RedisURI> clusterNodes, String prefix, Duration retention, Duration timeout,
        long changesMaxLen, long logMaxLen, long deadMaxLen, int replicas, RedisTls tls) {
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    /** Where the sentinels' password starts in a location's query; a shown location must not carry it. */
    private static final Pattern SENTINEL_PASSWORD = Pattern.compile("(?i)[?&]sentinelPassword=");
    /** Any other parameter that may hold a secret, e.g. a misspelt sentinelPassword: its value is shown as ***. */
    private static final Pattern PASSWORD_LIKE = Pattern.compile("(?i)([?&][^=&#]*(?:pas|pw|secret|auth|token)[^=&#]*=)[^&#]*");
    private static final List<String> PARAMETERS = List.of("prefix", "retention", "timeout", "changesMaxLen", "logMaxLen",
            "deadMaxLen", "master", "sentinels", "nodes", "replicas", "sentinelUser", "sentinelPassword", "tlsCa", "tlsCert", "tlsKey",
            "tlsVerify");
    private static final String ENCODE_AMPERSAND = "if the password holds an &, write it as %26";
    static final String SENTINEL = "redis-sentinel";
    static final String CLUSTER = "redis-cluster";
    private static final String FORMS = "a redis location looks like redis://[user:password@]host:port[/db][?prefix=hangar]"
            + ", redis-sentinel://[user:password@]sentinel:26379[,sentinel2:26379...][/db]?master=NAME[&sentinels=[::2]:26379,...]"
            + "[&sentinelPassword=...] or redis-cluster://[user:password@]node:6379[,node2:6379...][?nodes=[::2]:6379,...]"
            + "; with TLS, rediss://, rediss-sentinel:// or rediss-cluster://";

    static RedisSettings parse(URI location) {
        String given = String.valueOf(location.getScheme()).toLowerCase(Locale.ROOT);
        boolean tls = given.startsWith(RedisTls.SCHEME_PREFIX);
        String scheme = tls ? "redis" + given.substring(RedisTls.SCHEME_PREFIX.length()) : given;
        boolean sentinel = scheme.equals(SENTINEL);
        boolean cluster = scheme.equals(CLUSTER);
        // the address of these may list several hosts, which java.net.URI leaves unparsed
        boolean listed = sentinel || cluster;
        if (listed ? location.getRawAuthority() == null : !scheme.equals("redis") || location.getHost() == null) {
            throw new IllegalArgumentException(FORMS + "; got " + redacted(location));
        }
        if (String.valueOf(location.getRawPath()).contains("@") || String.valueOf(location.getRawQuery()).contains("@")
                || String.valueOf(location.getRawFragment()).contains("@")) {
            // user info cut short by an unencoded / ? or #: its pieces must not show up in the messages below
            throw new IllegalArgumentException("the password in " + redacted(location) + " holds a / ? or # that is not"
                    + " percent-encoded (write them as %2F %3F %23)");
        }
        Map<String, String> params = query(location);
        String prefix = Objects.requireNonNullElse(params.remove("prefix"), "hangar");
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("prefix must be 1 to 64 letters, digits or ._:- (no braces); got '"
                    + prefix + "'");
        }
        // bounded, so that every script can pass them to Redis as whole milliseconds (a larger one came out
        // as 9.2e18, which PEXPIRE refused after the job's end was half written)
        Duration retention = duration(params, "retention", Duration.ofDays(7), Duration.ZERO, MOST_RETENTION);
        Duration timeout = duration(params, "timeout", Duration.ofSeconds(10), Duration.ofMillis(100), MOST_TIMEOUT);
        if (!retention.isZero() && retention.compareTo(resendWindow(timeout)) <= 0) {
            // a call sent again within its timeout finds what it did by its job: the job must still be there
            throw new IllegalArgumentException("retention must be P0D (for ever) or longer than the timeout and a second ("
                    + resendWindow(timeout) + "), so that a call sent again finds its job; got " + retention);
        }
        String master = params.remove("master");
        if (sentinel == (master == null || master.isBlank())) {
            throw new IllegalArgumentException(sentinel
                    ? "master: a redis-sentinel location names the master its sentinels monitor, e.g. ?master=mymaster"
                    : "master: only a redis-sentinel:// location names a master");
        }
        String moreSentinels = more(params, "sentinels", sentinel, "a redis-sentinel:// location lists sentinels");
        String moreNodes = more(params, "nodes", cluster, "a redis-cluster:// location lists cluster nodes");
        SentinelLogin login = SentinelLogin.take(params, sentinel, timeout);
        RedisTls secured = RedisTls.take(params, tls);
        int database = database(location);
        if (cluster && database != 0) {
            throw new IllegalArgumentException("the path of a redis-cluster location must be empty or /0: a Redis Cluster"
                    + " has database 0 only, got " + location.getPath());
        }
        List<RedisURI> clusterNodes = new ArrayList<>();
        RedisURI.Builder redis;
        if (sentinel) {
            redis = RedisURI.builder().withSentinelMasterId(master);
            for (HostPort host : hosts(location, moreSentinels, RedisURI.DEFAULT_SENTINEL_PORT, "sentinel")) {
                redis.withSentinel(secure(secured, login.sentinel(host.host(), host.port())));
            }
        } else if (cluster) {
            for (HostPort host : hosts(location, moreNodes, RedisURI.DEFAULT_REDIS_PORT, "cluster node")) {
                clusterNodes.add(secure(secured, logIn(location, RedisURI.builder().withHost(host.host())
                        .withPort(host.port()).withTimeout(timeout)).build()));
            }
            redis = RedisURI.builder(clusterNodes.getFirst());
        } else {
            if (location.getPort() == 0 || location.getPort() > 65535) {
                throw new IllegalArgumentException("the port of a redis location must be 1 to 65535, got "
                        + location.getPort());
            }
            redis = RedisURI.builder().withHost(location.getHost())
                    .withPort(location.getPort() < 0 ? RedisURI.DEFAULT_REDIS_PORT : location.getPort());
        }
        logIn(location, redis.withDatabase(database).withTimeout(timeout));
        // how many replicas must hold a write that accepts a job or records its end (WAIT), 0 for none
        int replicas = (int) count(params, "replicas", 0, 0);
        if (cluster && replicas > 0) {
            // WAIT must follow the write on the connection to its node, which a cluster client routes for itself
            throw new IllegalArgumentException("replicas: not supported on a redis-cluster location; the cluster's own"
                    + " replicas copy each write asynchronously");
        }
        RedisSettings settings = new RedisSettings(secure(secured, redis.build()), List.copyOf(clusterNodes), prefix, retention, timeout,
                count(params, "changesMaxLen", 100_000, ChangeFeed.BATCH), count(params, "logMaxLen", 100_000),
                count(params, "deadMaxLen", 10_000), replicas, secured);
        if (!params.isEmpty()) {
            // names after the sentinels' password may be pieces of it (an unencoded &): they are counted, not shown
            Set<String> hidden = namesAfterSentinelPassword(location);
            List<String> shown = params.keySet().stream().filter(name -> !hidden.contains(name)).toList();
            long notShown = params.size() - shown.size();
            throw new IllegalArgumentException("unknown parameter(s) " + shown
                    + (notShown == 0 ? "" : " and " + notShown + " after sentinelPassword, not shown (" + ENCODE_AMPERSAND + ")")
                    + " in " + redacted(location) + "; known: " + String.join(", ", PARAMETERS));
        }
        return settings;
    }

    private static RedisURI secure(RedisTls tls, RedisURI uri) {
        return tls == null ? uri : tls.applyTo(uri);
    }

    /** How long a call may be sent again after it was first sent: its timeout, and a second for the clocks' drift. */
    Duration resendWindow() {
        return resendWindow(timeout);
    }

    private static Duration resendWindow(Duration timeout) {
        return timeout.plusSeconds(1);
    }

    /** Takes a parameter that lists more hosts, which only one kind of location has. */
    private static String more(Map<String, String> params, String name, boolean allowed, String whose) {
        String more = params.remove(name);
        if (more != null && (!allowed || more.isBlank())) {
            String port = name.equals("sentinels") ? "26379" : "6379";
            throw new IllegalArgumentException(name + ": " + (allowed ? "expected host[:port] items, e.g. " + name
                    + "=[::2]:" + port + ",[::3]:" + port : "only " + whose));
        }
        return more;
    }

    /** The user info of the location, as the credentials of this connection. */
    private static RedisURI.Builder logIn(URI location, RedisURI.Builder redis) {
        String userInfo = userInfo(location);
        if (userInfo != null && !userInfo.isEmpty()) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                redis.withPassword(userInfo.toCharArray());
            } else {
                redis.withAuthentication(userInfo.substring(0, colon), userInfo.substring(colon + 1).toCharArray());
            }
        }
        return redis;
    }

    private record HostPort(String host, int port) {}

    /**
     * The hosts of a location whose address lists several: host[:port] items separated by commas, in
     * its address and then in the parameter that lists more (java.net.URI refuses an address with two
     * IPv6 hosts).
     */
    private static List<HostPort> hosts(URI location, String more, int defaultPort, String what) {
        String authority = location.getRawAuthority();
        String hosts = authority.substring(authority.lastIndexOf('@') + 1) + (more == null ? "" : "," + more);
        List<HostPort> found = new ArrayList<>();
        String[] items = hosts.split(",", -1);
        for (int n = 0; n < items.length; n++) {
            String item = items[n];
            // host, name.example, 10.0.0.5 or [::1], each with an optional :port
            int close = item.startsWith("[") ? item.indexOf(']') : -1;
            int colon = item.indexOf(':', Math.max(close, 0));
            String host = colon < 0 ? item : item.substring(0, colon);
            host = close > 0 ? host.substring(1, close) : host;
            int port = -1;
            try {
                port = colon < 0 ? defaultPort : Integer.parseInt(item.substring(colon + 1));
            } catch (NumberFormatException e) {
                // told below; the item is not shown, as a password with an unencoded / or # ends up in it
            }
            boolean stray = close > 0 && close + 1 < item.length() && item.charAt(close + 1) != ':'; // [::1]x
            if (host.isEmpty() || stray || port < 1 || port > 65535) {
                throw new IllegalArgumentException(what + " " + (n + 1) + " of " + items.length + ": expected"
                        + " host[:port], [ipv6][:port], with a port of 1 to 65535 (a password with / ? # must be"
                        + " percent-encoded)");
            }
            found.add(new HostPort(host, port));
        }
        return found;
    }

    /** The decoded user info, also of a location with several hosts (which java.net.URI leaves unparsed). */
    private static String userInfo(URI location) {
        String authority = location.getRawAuthority();
        int at = authority == null ? -1 : authority.lastIndexOf('@');
        // percent-decoding only: in user info a '+' is a plus (URLDecoder would make it a space)
        return at < 0 ? null : decode(authority.substring(0, at).replace("+", "%2B"));
    }

    /** The hash tag every key starts with, so that one Lua script may touch them all. */
    String keyPrefix() {
        return "{" + prefix + "}";
    }

    /** Where, for error messages; never the password. */
    String where() {
        boolean secured = tls != null;
        if (!redis.getSentinels().isEmpty()) {
            return RedisTls.scheme(SENTINEL, secured) + "://" + addresses(redis.getSentinels()) + "/" + redis.getDatabase() + " (master "
                    + redis.getSentinelMasterId() + ", prefix " + prefix + ")";
        }
        if (!clusterNodes.isEmpty()) {
            return RedisTls.scheme(CLUSTER, secured) + "://" + addresses(clusterNodes) + " (prefix " + prefix + ")";
        }
        return RedisTls.scheme("redis", secured) + "://" + redis.getHost() + ":" + redis.getPort() + "/" + redis.getDatabase() + " (prefix " + prefix + ")";
    }

    private static String addresses(List<RedisURI> hosts) {
        return hosts.stream().map(s -> (s.getHost().contains(":") ? "[" + s.getHost() + "]" : s.getHost()) + ":" + s.getPort())
                .collect(Collectors.joining(","));
    }

    /**
     * The location as error messages show it: without its credentials, also when a password holds a
     * character that should have been percent-encoded. The sentinels' password is hidden up to the next
     * parameter a location may have (an unencoded & in it stays hidden); the user info is everything
     * between :// and the last @ (an unencoded / ? or # in it makes java.net.URI see a path, query or
     * fragment instead).
     */
    static String redacted(URI location) {
        return redacted(location.toString());
    }

    /** As {@link #redacted(URI)}, for text that may not even be a URI. */
    static String redacted(String location) {
        String text = location;
        Matcher secret = SENTINEL_PASSWORD.matcher(text);
        if (secret.find()) {
            int end = text.length();
            for (String name : PARAMETERS) {
                int next = text.indexOf("&" + name + "=", secret.end());
                end = next < 0 ? end : Math.min(end, next);
            }
            text = text.substring(0, secret.end()) + "***" + text.substring(end);
        }
        text = PASSWORD_LIKE.matcher(text).replaceAll("$1***");
        int scheme = text.indexOf("://");
        int at = text.lastIndexOf('@');
        return scheme < 0 || at < scheme ? text : text.substring(0, scheme + 3) + "***" + text.substring(at);
    }

    /** The names of the query's parameters after sentinelPassword. */
    private static Set<String> namesAfterSentinelPassword(URI location) {
        Set<String> names = new HashSet<>();
        boolean after = false;
        for (String pair : Objects.requireNonNullElse(location.getRawQuery(), "").split("&")) {
            String name = decode(pair.substring(0, Math.max(pair.indexOf('='), 0)));
            if (after) {
                names.add(name);
            }
            after = after || name.equals("sentinelPassword");
        }
        return names;
    }

    /** Ten years: longer than any job is kept on purpose ("P0D" keeps them for ever). */
    private static final Duration MOST_RETENTION = Duration.ofDays(3650);
    private static final Duration MOST_TIMEOUT = Duration.ofHours(1);

    private static Map<String, String> query(URI location) {
        Map<String, String> params = new LinkedHashMap<>();
        String query = location.getRawQuery();
        if (query == null || query.isEmpty()) {
            return params;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                // the part itself is not shown: it may be a piece of a password
                throw new IllegalArgumentException("expected name=value in the query of " + redacted(location)
                        + ", got a part without '='" + (params.containsKey("sentinelPassword") ? " after sentinelPassword ("
                                + ENCODE_AMPERSAND + ")" : ""));
            }
            // a '+' is a plus, as in the user info: passwords have them, and no value here has a space
            String name = decode(pair.substring(0, eq).replace("+", "%2B"));
            if (params.put(name, decode(pair.substring(eq + 1).replace("+", "%2B"))) != null) {
                // a name that is no parameter may be a piece of a password cut at an unencoded '&': not shown
                throw new IllegalArgumentException((PARAMETERS.contains(name) ? name : "a parameter")
                        + " is given twice in the query of " + redacted(location) + "; give it once");
            }
        }
        return params;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) { // its message quotes the text, which may be a password
            throw new IllegalArgumentException("a % in the location is not followed by two hex digits (write a % in a"
                    + " password as %25)");
        }
    }

    private static int database(URI location) {
        String path = location.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return 0;
        }
        try {
            int database = Integer.parseInt(path.substring(1));
            if (database >= 0) {
                return database;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("the path of a redis location is the database number (0 or more, as the"
                + " server's 'databases' allows), got " + path);
    }

    /** Takes the parameter out of {@code params}, so that what is left is unknown. */
    private static Duration duration(Map<String, String> params, String name, Duration fallback, Duration least,
            Duration most) {
        String value = params.remove(name);
        Duration duration;
        try {
            duration = value == null ? fallback : Duration.parse(value);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException(name + " must be an ISO-8601 duration such as P7D or PT1H, from "
                    + written(least) + " to " + written(most) + ", got '" + value + "'");
        }
        if (duration.compareTo(least) < 0 || duration.compareTo(most) > 0) {
            throw new IllegalArgumentException(name + " must be from " + written(least) + " to " + written(most)
                    + ", got " + value);
        }
        return duration;
    }

    /** As one would write it in the URL: whole days as days (P3650D, where Duration says PT87600H). */
    private static String written(Duration duration) {
        boolean wholeDays = duration.getNano() == 0 && duration.getSeconds() % 86_400 == 0;
        return wholeDays ? "P" + duration.toDays() + "D" : duration.toString();
    }

    private static long count(Map<String, String> params, String name, long fallback) {
        return count(params, name, fallback, 1);
    }

    private static long count(Map<String, String> params, String name, long fallback, long least) {
        String value = params.remove(name);
        try {
            long count = value == null ? fallback : Long.parseLong(value);
            if (count < least || count > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return count;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number from " + least + " to " + Integer.MAX_VALUE
                    + ", got '" + value + "'");
        }
    }
}
