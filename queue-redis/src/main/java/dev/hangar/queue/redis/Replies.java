package dev.hangar.queue.redis;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns Java values into script arguments and Redis replies (bytes, longs, lists) back into Java values. */
final class Replies {
    private Replies() {}

    /** A script argument: null is "", booleans are 1/0, bytes stay bytes, the rest is its text. */
    static byte[] arg(Object value) {
        return switch (value) {
            case null -> new byte[0];
            case byte[] bytes -> bytes;
            case Boolean flag -> RedisLink.bytes(flag ? "1" : "0");
            default -> RedisLink.bytes(value.toString());
        };
    }

    static String text(Object reply) {
        return switch (reply) {
            case null -> null;
            case byte[] bytes -> new String(bytes, StandardCharsets.UTF_8);
            default -> reply.toString();
        };
    }

    static long number(Object reply) {
        return reply instanceof Long n ? n : Long.parseLong(text(reply));
    }

    static List<?> list(Object reply) {
        return reply instanceof List<?> list ? list : List.of();
    }

    /** A flat field, value, field, value ... reply (HGETALL) as a map. */
    static Map<String, String> fields(Object reply) {
        List<?> flat = list(reply);
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            fields.put(text(flat.get(i)), text(flat.get(i + 1)));
        }
        return fields;
    }

    /** A map of bytes (Lettuce's HGETALL, a stream entry's body) as text; byte[] keys cannot be looked up. */
    static Map<String, String> fields(Map<byte[], byte[]> body) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (body != null) {
            body.forEach((name, value) -> fields.put(text(name), text(value)));
        }
        return fields;
    }
}
