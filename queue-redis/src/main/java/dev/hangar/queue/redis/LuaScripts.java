package dev.hangar.queue.redis;

import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.UnconfirmedWriteException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Lua scripts that change the queue, each one atomic. They make one Redis function library:
 * common.lua, then each script file as a function of it, so that what they share is set up once
 * when the library loads rather than on every call. The library's name carries a hash of its code,
 * so processes of different versions sharing a Redis each find their own; it is loaded when the
 * backend opens, and again should Redis have lost it (a restart without persistence). Every call
 * passes the prefix as the one key and the backend's settings first.
 */
final class LuaScripts {
    enum Script {
        ENQUEUE(true), LEASE(false), RENEW(false), ADVANCE(false), SETTLE(true), CANCEL(true), APPEND_LOG(false),
        PAGE(false, false), COUNTS(false, false), FORGET(false), RECLAIM(false), LEASES_OF(false), DROP_LEASE(false),
        DEAD_LETTER(true), SWEEP(false), FINISH_AND_LEASE(true), INTAKE_READ(false);

        /**
         * Whether its write accepts a job or records its end, so that with {@code replicas} set the
         * replicas must hold it before the call returns. A lost lease or start is repaired by the lease
         * expiring; a lost job or result is not.
         */
        final boolean accepts;
        /**
         * Whether it may write. Why said: Redis takes a function that does not say it writes nothing as a write, and
         * refuses it while it refuses writes (at its memory limit, or after a failed save), when the jobs must still
         * be listed and counted.
         */
        final boolean writes;

        Script(boolean accepts) {
            this(accepts, true);
        }

        Script(boolean accepts, boolean writes) {
            this.accepts = accepts;
            this.writes = writes;
        }

        String file() {
            return name().toLowerCase(Locale.ROOT) + ".lua";
        }
    }

    /** Stands for the library's name in its code until the name, a hash of that code, is known. */
    private static final String LIBRARY = "@LIBRARY@";
    private static final String LIBRARY_HEADER = "#!lua name=" + LIBRARY + "\n";

    private final RedisLink link;
    private final String library;
    private final String source;
    private final Map<Script, String> functions = new EnumMap<>(Script.class);
    private final byte[][] keys;
    /** Written before each WAIT (see {@link #run}); expires, as nothing reads it. */
    private final byte[] confirmKey;
    private static final byte[] ONE = RedisLink.bytes("1");
    private static final long CONFIRM_KEPT_MS = 60_000;
    /** ARGV[1..5] of every call, read by common.lua's setup. */
    private final byte[][] settings;
    private final int replicas;
    private final long replicaWaitMs;
    /** ARGV[6] of every call: its id, the same if Lettuce sends it again (see resent in common.lua). */
    private final CallIds callIds = new CallIds();
    /**
     * The connection of the calls whose writes are waited for ({@code replicas=N}), or null: WAIT
     * holds up every later command of its connection until replicas answer (for up to half the
     * command timeout while one is down), and renewals, leases and heartbeats must not wait behind it.
     */
    private final RedisLink.Dedicated waited;
    /** How often {@link #waited} connected; see {@link #run}. */
    private final AtomicLong connects = new AtomicLong();

    LuaScripts(RedisLink link, RedisSettings settings) {
        this.link = link;
        this.replicas = settings.replicas();
        // half the command timeout, so that WAIT answers how many replicas hold the write before the call times out
        this.replicaWaitMs = Math.max(1, settings.timeout().toMillis() / 2);
        // on a cluster (which refuses replicas) there is none
        this.waited = replicas > 0 ? link.connectAnother() : null;
        if (waited != null) {
            link.onReconnected(waited, connects::incrementAndGet);
        }
        // the declared key is the prefix and a colon: an ACL user given the prefix's keys ({p}:*) may name it
        this.keys = new byte[][] {RedisLink.bytes(settings.keyPrefix() + ":")};
        this.confirmKey = RedisLink.bytes(new RedisKeys(settings.keyPrefix()).ping());
        // a call is sent again (see CallIds) within its timeout
        long resendWindowMs = settings.resendWindow().toMillis();
        this.settings = new byte[][] {Replies.arg(settings.changesMaxLen()), Replies.arg(settings.retention().toMillis()),
                Replies.arg(settings.deadMaxLen()), Replies.arg(RedisQueueBackend.LEASE_HORIZON.toMillis()),
                Replies.arg(resendWindowMs)};
        // the library's name is a hash of all its code, so that a change of any of it makes a new name
        StringBuilder code = new StringBuilder(LIBRARY_HEADER).append(resource("common.lua"));
        for (Script script : Script.values()) {
            functions.put(script, script.name().toLowerCase(Locale.ROOT));
            code.append("\nredis.register_function{function_name='").append(LIBRARY).append('_').append(functions.get(script))
                    .append("', callback=function(keys, args)\nsetup(keys, args)\n").append(resource(script.file()))
                    .append("\nend").append(script.writes ? "" : ", flags={'no-writes'}").append("}\n");
        }
        this.library = "hangar_" + sha1(code.toString()).substring(0, 16);
        functions.replaceAll((script, name) -> library + "_" + name);
        this.source = code.toString().replace(LIBRARY, library);
        load();
    }

    /** Runs the script with these arguments (see {@link Replies#arg}); returns its array reply. */
    List<Object> call(Script script, Object... args) {
        byte[][] argv = argv(callIds.next(), args);
        try {
            return run(script, argv);
        } catch (QueueException e) {
            if (!saidByRedis(e, "Function not found")) {
                throw e;
            }
        }
        // Redis lost the library (it restarted without persistence, or someone flushed it), or, on a
        // cluster, the call followed the queue's slot to a master that lacks it
        link.readLayoutAgain();
        load();
        return run(script, argv);
    }

    private List<Object> run(Script script, byte[][] argv) {
        String function = functions.get(script);
        boolean waits = script.accepts && waited != null;
        return link.call(script.file(), waits ? waited : null, redis -> {
            long connected = connects.get();
            List<Object> reply = redis.fcall(function, ScriptOutputType.MULTI, keys, argv);
            if (waits) {
                // a write of this connection's own first: WAIT covers the connection's writes, and from Redis
                // 7.2 a call that wrote nothing (a submit answered with the job its key made, maybe on another
                // server and not yet on a replica) does not move its mark past that job's write
                redis.set(confirmKey, ONE, SetArgs.Builder.px(CONFIRM_KEPT_MS));
                long held = redis.waitForReplication(replicas, replicaWaitMs);
                if (held < replicas) {
                    throw unconfirmed(script, "only " + held + " of " + replicas + " replicas held it within "
                            + replicaWaitMs + " ms");
                }
                if (connects.get() != connected) {
                    // Lettuce sends a WAIT cut off by a failover again, to the new master, where it counts
                    // none of the old master's writes: its answer says nothing of this one
                    throw unconfirmed(script, "the connection to Redis was made again meanwhile (a failover?), so"
                            + " no replica count covers it");
                }
            }
            return reply;
        });
    }

    private static QueueException unconfirmed(Script script, String why) {
        return new UnconfirmedWriteException(script.file() + " was written on the master, but " + why + ": it is lost"
                + " should the master fail now");
    }

    /** Loads the library unless Redis has it. */
    private void load() {
        try {
            link.loadFunctions(source);
        } catch (QueueException e) {
            if (!saidByRedis(e, "already exists")) {
                throw e;
            }
        }
    }

    private static boolean saidByRedis(QueueException e, String words) {
        return e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains(words);
    }

    private byte[][] argv(byte[] callId, Object[] args) {
        List<byte[]> argv = new ArrayList<>(settings.length + args.length + 9);
        argv.addAll(List.of(settings));
        argv.add(callId);
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

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
