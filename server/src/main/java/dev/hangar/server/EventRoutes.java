package dev.hangar.server;

import dev.hangar.server.auth.Caller;
import dev.hangar.server.events.EventLog;
import dev.hangar.server.events.Replay;
import dev.hangar.server.events.ServerEvent;
import dev.hangar.server.events.ServerEvents;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /v1/events}: server-sent events from the {@link EventLog}. A client that sends
 * {@code Last-Event-ID} (or {@code ?lastEventId=}) first gets every buffered event after that id,
 * then live ones; each client reads the log at its own pace on its own virtual thread. A caller
 * that is not an admin gets only its own tenant's job events (and every node event).
 */
final class EventRoutes implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventRoutes.class.getName());
    static final Duration HEARTBEAT = Duration.ofSeconds(15);
    private static final int BATCH = 256;
    /** Where a Last-Event-ID header that is not a number resumes: before any id, so the client is reset. */
    private static final long NOT_AN_ID = -1;
    private static final Set<String> TYPES = Set.of(ServerEvent.JOB, ServerEvent.NODE, ServerEvent.POOL, ServerEvent.RESET);

    private final EventLog log;
    private final Duration heartbeat;
    private final ExecutorService streams = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("hangar-events-", 0).factory());
    private final AtomicInteger clients = new AtomicInteger();
    private final StreamSlots slots;

    EventRoutes(EventLog log, Duration heartbeat, StreamSlots slots) {
        this.log = log;
        this.heartbeat = heartbeat;
        this.slots = slots;
    }

    void register(Javalin app) {
        app.get("/v1/events", this::open);
    }

    /** Clients streaming now. */
    int clients() {
        return clients.get();
    }

    private void open(Context ctx) throws IOException {
        QueryParams.only(ctx, java.util.List.of("types", "lastEventId"));
        Set<String> types = types(QueryParams.first(ctx, "types"));
        OptionalLong resumeFrom = resumeFrom(ctx);
        if (streams.isShutdown()) {
            throw stopping();
        }
        StreamSlots.Slot slot = slots.take(ctx);
        // why here: once the client has the headers, it must get every event that follows them
        long live = log.lastId();
        // why: set up as Javalin's SseHandler (app.sse) does, which however serves only requests whose
        // Accept is exactly text/event-stream and answers an empty 200 to curl's */*; framing is SseClient's
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setCharacterEncoding("UTF-8");
        res.setContentType("text/event-stream");
        res.addHeader("Connection", "close");
        res.addHeader("Cache-Control", "no-cache");
        res.addHeader("X-Accel-Buffering", "no");
        // Javalin calls the supplier once this handler has returned
        ctx.future(() -> onItsOwnThread(slot, () -> {
            // why on the stream's thread: a client that has the headers has a stream that a stopping
            // server waits for, so it gets what the log still holds
            try {
                res.flushBuffer();
            } catch (IOException e) {
                return; // the client went
            }
            stream(new SseClient(ctx), types, TokenCheck.caller(ctx), TokenCheck.stillValid(ctx), resumeFrom, live);
        }));
    }

    /**
     * Runs a stream on a thread of its own, which gives its slot back when it ends; a 503 if the
     * server began to stop since the request came (no header has been sent yet).
     */
    private CompletableFuture<Void> onItsOwnThread(StreamSlots.Slot slot, Runnable stream) {
        try {
            return CompletableFuture.runAsync(() -> {
                try (slot) {
                    stream.run();
                }
            }, streams);
        } catch (RejectedExecutionException e) {
            slot.close();
            return CompletableFuture.failedFuture(stopping());
        }
    }

    private static ApiException stopping() {
        return new ApiException(503, "Stopping", "the server is stopping", java.util.List.of());
    }

    /**
     * Sends events until the client goes, falls too far behind, or the server stops: those after
     * {@code resumeFrom} if given, else those after {@code live}, the newest when the client came.
     */
    private void stream(SseClient client, Set<String> types, Caller caller, BooleanSupplier tokenValid,
            OptionalLong resumeFrom, long live) {
        clients.incrementAndGet();
        try {
            long cursor;
            if (resumeFrom.isEmpty()) {
                cursor = live;
                // why told at once: a client that drops before any event reaches it would resume from nothing,
                // from the newest event then, and miss what changed while it was away
                if (!keepAliveAt(client, cursor)) {
                    return;
                }
            } else {
                cursor = resumeFrom.getAsLong() == 0 ? log.beforeFirst() : resumeFrom.getAsLong();
                Replay replay = log.after(cursor, 0);
                if (replay.reset()) {
                    cursor = reset(client, resumeFrom.getAsLong() == NOT_AN_ID
                            ? "the Last-Event-ID header is not an event id of this server: reload from the REST API"
                            : "events after id " + resumeFrom.getAsLong()
                            + " are no longer buffered (or it is from an earlier server process): reload from the REST API");
                }
            }
            long lastSent = System.nanoTime();
            long told = cursor; // the last event id this client has
            while (!client.terminated()) {
                if (!tokenValid.getAsBoolean()) {
                    client.close(); // its token was revoked: it reconnects, and is refused
                    return;
                }
                Replay replay = log.after(cursor, BATCH);
                if (replay.reset()) {
                    // why: the ring moved past this client's position; it reconnects and resumes from the reset
                    reset(client, "this client fell more than the buffered events behind: reload from the REST API");
                    client.close();
                    return;
                }
                for (ServerEvent event : replay.events()) {
                    if (types.contains(event.type()) && event.seenBy(caller)) {
                        client.sendEvent(event.type(), event.data(), Long.toString(event.id()));
                        told = event.id();
                        lastSent = System.nanoTime();
                        if (client.terminated()) {
                            return;
                        }
                    }
                    cursor = event.id();
                }
                if (replay.events().isEmpty()) {
                    if (log.isClosed()) {
                        client.close();
                        return;
                    }
                    log.await(cursor, heartbeat);
                }
                // why by the time written, not by the events: a filtered stream that skips every event
                // still needs them, for proxies that cut idle streams and to notice a client gone
                if (System.nanoTime() - lastSent >= heartbeat.toNanos() && !log.isClosed()) {
                    if (told == cursor) {
                        client.sendComment("keep-alive");
                    } else if (keepAliveAt(client, cursor)) {
                        told = cursor;
                    } else {
                        return;
                    }
                    lastSent = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "event stream failed", e);
            client.close();
        } finally {
            clients.decrementAndGet();
        }
    }

    /**
     * A keep-alive that moves the client's last event id on to {@code id}, past events its filter
     * skipped: a message of an id alone sets an EventSource's Last-Event-ID and dispatches nothing.
     * Without it a client that resumes would resume from its last event of its types, which the ring
     * may have dropped meanwhile, and be reset for events it never asked for. False if the client went.
     */
    private static boolean keepAliveAt(SseClient client, long id) {
        try {
            var out = client.ctx().res().getOutputStream();
            out.write((": keep-alive\nid: " + id + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException e) {
            client.close();
            return false;
        }
    }

    /** Sends a reset whose id is the newest event's, so a resume from it continues from here; returns that id. */
    private long reset(SseClient client, String reason) {
        long now = log.lastId();
        client.sendEvent(ServerEvent.RESET, ServerEvents.reset(reason), Long.toString(now));
        return now;
    }

    private static Set<String> types(String param) {
        if (param == null || param.isBlank()) {
            return TYPES;
        }
        var types = new TreeSet<String>();
        // -1: a trailing comma is an empty item, refused as the jobs list's state refuses it
        for (String name : param.split(",", -1)) {
            String type = name.trim().toLowerCase(Locale.ROOT);
            if (!TYPES.contains(type)) {
                throw ApiException.badField("types", "unknown event type '" + name.trim() + "'; known: "
                        + Arrays.toString(new TreeSet<>(TYPES).toArray()));
            }
            types.add(type);
        }
        types.add(ServerEvent.RESET); // always: a client that missed events must hear of it
        return Set.copyOf(types);
    }

    /**
     * The id to resume after: the {@code Last-Event-ID} header (a browser's EventSource sends it on
     * reconnect, and it is newer than the URL's query), else {@code ?lastEventId=}. A header that is
     * not an id makes a reset; a bad query parameter is refused.
     */
    private static OptionalLong resumeFrom(Context ctx) {
        String header = ctx.header("Last-Event-ID");
        if (header != null && !header.isBlank()) {
            try {
                return OptionalLong.of(Long.parseLong(header.trim()));
            } catch (NumberFormatException e) {
                return OptionalLong.of(NOT_AN_ID); // no id this log gave: reset
            }
        }
        String param = QueryParams.first(ctx, "lastEventId");
        if (param == null || param.isBlank()) {
            return OptionalLong.empty();
        }
        try {
            long id = Long.parseLong(param.trim());
            if (id >= 0) {
                return OptionalLong.of(id);
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiException.badField("lastEventId", "must be the id of an event (a whole number, 0 for the start), got '"
                + param + "'");
    }

    /** Ends every stream: each sends what the log still holds for it (after {@link EventLog#close()}) and stops. */
    @Override
    public void close() {
        streams.shutdown();
        try {
            if (!streams.awaitTermination(2, TimeUnit.SECONDS)) {
                streams.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            streams.shutdownNow();
        }
    }
}
