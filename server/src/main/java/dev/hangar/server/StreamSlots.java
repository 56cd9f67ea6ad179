package dev.hangar.server;

import dev.hangar.server.auth.Caller;
import io.javalin.http.Context;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the streams a server holds open: event streams and log follows last as long as their
 * clients stay, each holding a connection, a thread and a queue subscription. A caller (a tenant,
 * or the client's address on a server without tokens) may hold {@code perCaller} of them, and the
 * server {@code total}; one more is refused with 429 and {@code Retry-After}, so that one client
 * that opens streams in a loop cannot take every other caller's.
 */
final class StreamSlots {
    static final int PER_CALLER = 64;
    static final int TOTAL = 2048;
    private static final String RETRY_AFTER_SECONDS = "5";

    private final int perCaller;
    private final int total;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> byCaller = new ConcurrentHashMap<>();

    StreamSlots(int perCaller, int total) {
        this.perCaller = perCaller;
        this.total = total;
    }

    /** One slot, given back by closing it; a 429 {@link ApiException} if the caller or the server has none left. */
    Slot take(Context ctx) {
        Caller caller = TokenCheck.caller(ctx);
        String key = caller.tenant() != null ? "tenant " + caller.tenant() : "address " + ctx.ip();
        if (open.incrementAndGet() > total) {
            open.decrementAndGet();
            throw tooMany(ctx, "this server has " + total + " streams open (event streams and log follows)");
        }
        boolean[] taken = {false};
        byCaller.compute(key, (k, count) -> {
            int now = count == null ? 0 : count;
            if (now >= perCaller) {
                return count;
            }
            taken[0] = true;
            return now + 1;
        });
        if (!taken[0]) {
            open.decrementAndGet();
            throw tooMany(ctx, "this caller (" + key + ") has " + perCaller
                    + " streams open (event streams and log follows): close one first");
        }
        return new Slot(key);
    }

    /** Streams open now. */
    int open() {
        return open.get();
    }

    private static ApiException tooMany(Context ctx, String reason) {
        ctx.header("Retry-After", RETRY_AFTER_SECONDS);
        return new ApiException(429, "Too many streams", reason, List.of());
    }

    /** A stream's place; closing it again does nothing. */
    final class Slot implements AutoCloseable {
        private final String key;
        private boolean closed;

        private Slot(String key) {
            this.key = key;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            byCaller.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
            open.decrementAndGet();
        }
    }
}
