package dev.hangar.queue.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Lua scripts that change the queue, each one atomic. Each script is common.lua followed by its
 * own file; it runs by EVALSHA, and by EVAL when Redis lacks it (a restarted Redis has an empty
 * script cache). Every call passes the prefix as the one key and the backend's settings first.
 */
final class LuaScripts {
    enum Script {
        ENQUEUE, LEASE, RENEW, ADVANCE, SETTLE, CANCEL, APPEND_LOG, PAGE, COUNTS, RECLAIM, LEASES_OF, DROP_LEASE,
        DEAD_LETTER, SWEEP, FINISH_AND_LEASE;

        String file() {
            return name().toLowerCase(Locale.ROOT) + ".lua";
        }
    }

    private record Loaded(byte[] source, String sha) {}

    private final Map<Script, Loaded> scripts = new EnumMap<>(Script.class);
    private final RedisLink link;
    private final byte[][] keys;
    /** ARGV[1..4] of every script, read by common.lua. */
    private final byte[][] settings;

    LuaScripts(RedisLink link, RedisSettings settings) {
        this.link = link;
        this.keys = new byte[][] {RedisLink.bytes(settings.keyPrefix())};
        this.settings = new byte[][] {Replies.arg(settings.changesMaxLen()), Replies.arg(settings.retention().toMillis()),
                Replies.arg(settings.deadMaxLen()), Replies.arg(RedisQueueBackend.LEASE_HORIZON.toMillis())};
        String common = resource("common.lua");
        for (Script script : Script.values()) {
            byte[] source = (common + "\n" + resource(script.file())).getBytes(StandardCharsets.UTF_8);
            scripts.put(script, new Loaded(source, sha1(source)));
        }
    }

    /** Runs the script with these arguments (see {@link Replies#arg}); returns its array reply. */
    List<Object> call(Script script, Object... args) {
        Loaded loaded = scripts.get(script);
        byte[][] argv = argv(args);
        return link.call(script.file(), redis -> {
            try {
                return redis.evalsha(loaded.sha(), ScriptOutputType.MULTI, keys, argv);
            } catch (RedisNoScriptException e) {
                return redis.eval(loaded.source(), ScriptOutputType.MULTI, keys, argv);
            }
        });
    }

    private byte[][] argv(Object[] args) {
        List<byte[]> argv = new ArrayList<>(settings.length + args.length + 8);
        Collections.addAll(argv, settings);
        add(argv, args);
        return argv.toArray(byte[][]::new);
    }

    /** Each value one argument, but a list its items, in order (lists in lists too). */
    private static void add(List<byte[]> argv, Object[] values) {
        for (Object value : values) {
            if (value instanceof List<?> list) {
                add(argv, list.toArray());
            } else {
                argv.add(Replies.arg(value));
            }
        }
    }

    private static String resource(String name) {
        try (InputStream in = LuaScripts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("script " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(byte[] source) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(source));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
