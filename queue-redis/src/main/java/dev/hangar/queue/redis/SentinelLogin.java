package dev.hangar.queue.redis;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.Map;

/**
 * How to log in to the sentinels themselves, which may ask for a password of their own
 * ({@code requirepass} in sentinel.conf) or none, whatever the master asks: so the master's
 * credentials are never sent to them, and theirs come from {@code sentinelUser} and
 * {@code sentinelPassword} in the location's query.
 */
record SentinelLogin(String user, String password, Duration timeout) {

    /** Takes the two parameters out of {@code params}; both belong only to a redis-sentinel location. */
    static SentinelLogin take(Map<String, String> params, boolean sentinel, Duration timeout) {
        String user = params.remove("sentinelUser");
        String password = params.remove("sentinelPassword");
        if (!sentinel && (user != null || password != null)) {
            throw new IllegalArgumentException((password != null ? "sentinelPassword" : "sentinelUser")
                    + ": only a redis-sentinel:// location has sentinels to log in to");
        }
        if (user != null && (password == null || password.isEmpty())) {
            throw new IllegalArgumentException("sentinelUser: a sentinel user needs its sentinelPassword too");
        }
        if (password != null && password.isEmpty()) {
            throw new IllegalArgumentException("sentinelPassword: empty; leave it out for sentinels that ask for none");
        }
        if (user != null && user.isEmpty()) {
            throw new IllegalArgumentException("sentinelUser: empty; leave it out to log in as the default user");
        }
        return new SentinelLogin(user, password, timeout);
    }

    /** One sentinel, with this login if there is one. */
    RedisURI sentinel(String host, int port) {
        RedisURI.Builder sentinel = RedisURI.builder().withHost(host).withPort(port).withTimeout(timeout);
        if (user != null) {
            sentinel.withAuthentication(user, password.toCharArray());
        } else if (password != null) {
            sentinel.withPassword(password.toCharArray());
        }
        return sentinel.build();
    }

    @Override
    public String toString() { // a record would print the password
        return "SentinelLogin[user=" + user + ", password=" + (password == null ? "none" : "***") + "]";
    }
}
