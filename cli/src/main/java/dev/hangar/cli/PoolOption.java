package dev.hangar.cli;

import dev.hangar.core.pool.PoolSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads a pool from the command line: {@code runtime=process,image=busybox,cpus=1,memoryMb=256,min=2,max=8}
 * (also {@code name} and {@code idleSeconds}). Each value is checked for its type here, naming the
 * field; ranges and the runtime are checked where the pool is created.
 */
final class PoolOption {
    static final Set<String> KEYS = Set.of("name", "runtime", "image", "cpus", "memoryMb", "min", "max", "idleSeconds",
            "snapshot", "prepare");

    private PoolOption() {}

    static PoolSpec parse(String flag, String text) {
        var values = new LinkedHashMap<String, String>();
        for (String part : text.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(flag + " " + text + ": '" + part
                        + "' is not KEY=VALUE; keys: " + String.join(", ", KEYS.stream().sorted().toList()));
            }
            String key = part.substring(0, eq).trim();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(flag + " " + text + ": unknown key '" + key + "'; keys: "
                        + String.join(", ", KEYS.stream().sorted().toList()));
            }
            if (values.put(key, part.substring(eq + 1).trim()) != null) {
                throw new IllegalArgumentException(flag + " " + text + ": " + key + " is given twice");
            }
        }
        if (!values.containsKey("runtime")) {
            throw new IllegalArgumentException(flag + " " + text + ": runtime is required (e.g. runtime=process)");
        }
        return new PoolSpec(values.get("name"), values.get("runtime"), emptyToNull(values.get("image")),
                number(flag, text, values, "cpus"), whole(flag, text, values, "memoryMb"),
                intOf(flag, text, values, "min"), intOf(flag, text, values, "max"), intOf(flag, text, values, "idleSeconds"),
                yesNo(flag, text, values, "snapshot"), emptyToNull(values.get("prepare")));
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static Boolean yesNo(String flag, String text, Map<String, String> values, String key) {
        return typed(flag, text, values, key, "true or false", raw -> switch (raw) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new NumberFormatException(raw);
        });
    }

    private static Double number(String flag, String text, Map<String, String> values, String key) {
        return typed(flag, text, values, key, "a number", Double::valueOf);
    }

    private static Long whole(String flag, String text, Map<String, String> values, String key) {
        return typed(flag, text, values, key, "a whole number", Long::valueOf);
    }

    private static Integer intOf(String flag, String text, Map<String, String> values, String key) {
        return typed(flag, text, values, key, "a whole number up to " + Integer.MAX_VALUE, Integer::valueOf);
    }

    private static <T> T typed(String flag, String text, Map<String, String> values, String key, String what,
            java.util.function.Function<String, T> parse) {
        String raw = values.get(key);
        try {
            return raw == null ? null : parse.apply(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " " + text + ": " + key + " must be " + what + ", got '" + raw + "'");
        }
    }
}
