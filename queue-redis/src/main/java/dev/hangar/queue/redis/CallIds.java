package dev.hangar.queue.redis;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ids of script calls, unique across the processes that share a Redis: this process's random
 * prefix, then a count. Lettuce sends a call again, with the same arguments, when the connection
 * dropped before its reply came; the scripts know it by its id and answer as they did the first
 * time (see resent in common.lua). All ids have one length, so that a script can keep the last few
 * in a string of fixed size.
 */
final class CallIds {
    private final String prefix = randomPrefix();
    private final AtomicLong count = new AtomicLong();

    private static String randomPrefix() {
        byte[] bytes = new byte[6];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    byte[] next() {
        String hex = Long.toHexString(count.incrementAndGet()); // on every call: no String.format
        return (prefix + "0".repeat(Math.max(0, 12 - hex.length())) + hex).getBytes(StandardCharsets.US_ASCII);
    }
}
