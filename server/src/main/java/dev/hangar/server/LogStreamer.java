package dev.hangar.server;

import dev.hangar.core.job.Job;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.JobStore;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.queue.QueueListener;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Streams a job's output: stored chunks first, then, with {@code follow=true}, new chunks as they
 * are stored, until the job is final. Raw bytes ({@code format=raw}, both streams interleaved) or
 * one JSON chunk per line ({@code format=ndjson}, with stream and attempt; an empty line now and
 * then while a followed job is quiet, to be skipped).
 */
final class LogStreamer {
    private static final System.Logger LOG = System.getLogger(LogStreamer.class.getName());
    /**
     * Chunks read at a time: up to 16 KiB each, so a request holds at most 256 KiB while a slow client reads them
     * (a read without follow takes no stream slot, and many may be open).
     */
    private static final int BATCH = 16;
    /**
     * Chunks a tail's read back takes a call: only their sizes are kept, so many at once (a chunk is at most 16 KiB),
     * where 16 a call took a thousand calls to Redis for a 2 MiB tail of one-line chunks.
     */
    static final int TAIL_PAGE = 256;
    /** Says that a read of the output's tail left out output before the first chunk it sends. */
    static final String SKIPPED = "Hangar-Log-Skipped";
    /**
     * How long an ndjson follow may write nothing before it writes an empty line. A raw follow cannot
     * (any byte would be output), so one whose client has gone lasts until the job ends.
     */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final JobStore store;
    private final Duration keepAlive;
    private final StreamSlots slots;

    LogStreamer(JobStore store, StreamSlots slots) {
        this(store, KEEP_ALIVE, slots);
    }

    LogStreamer(JobStore store, Duration keepAlive, StreamSlots slots) {
        this.store = store;
        this.keepAlive = keepAlive;
        this.slots = slots;
    }

    /** @param job the job, looked up once the parameters are found good (a bad one is a 400 even for no such job) */
    void stream(Context ctx, java.util.function.Supplier<Job> job) throws Exception {
        QueryParams.only(ctx, java.util.List.of("follow", "format", "after", "tail"));
        boolean follow = flag(ctx, "follow");
        String format = java.util.Objects.requireNonNullElse(QueryParams.value(ctx, "format"), "raw");
        boolean ndjson = "ndjson".equalsIgnoreCase(format);
        if (!ndjson && !"raw".equalsIgnoreCase(format)) {
            throw ApiException.badField("format", "must be raw or ndjson, got '" + format + "'");
        }
        long after = JobRoutes.longParam(ctx, "after", 0, 0, Long.MAX_VALUE);
        long tail = JobRoutes.longParam(ctx, "tail", 0, 1, Long.MAX_VALUE);
        if (tail > 0 && QueryParams.value(ctx, "after") != null) {
            throw ApiException.badField("tail", "reads the output's end; with after, which says where to read from, "
                    + "it is one too many (give either)");
        }
        String id = job.get().id();
        if (tail > 0) {
            after = tailStart(ctx, id, tail);
        }
        if (!follow) {
            send(ctx, id, false, ndjson, after, tail > 0);
            return;
        }
        // a follow lasts as long as the job: it takes one of the caller's stream slots
        try (var slot = slots.take(ctx)) {
            send(ctx, id, true, ndjson, after, tail > 0);
        }
    }

    /**
     * The seq to read after for the newest chunks holding at least {@code tail} bytes of the job's output (0 for the
     * whole of a shorter one); tells the client, by {@link #SKIPPED}, when output before them is left out.
     */
    private long tailStart(Context ctx, String id, long tail) {
        long held = 0;
        long before = Long.MAX_VALUE;
        List<LogChunk> page;
        while (!(page = store.readLogBefore(id, before, TAIL_PAGE)).isEmpty()) {
            for (LogChunk chunk : page.reversed()) {
                held += chunk.data().length;
                before = chunk.seq();
                if (held >= tail) {
                    if (!store.readLogBefore(id, before, 1).isEmpty()) {
                        ctx.header(SKIPPED, "true");
                    }
                    return before - 1;
                }
            }
        }
        return 0;
    }

    /** @param fromTail whether {@code after} is a tail's start: what follows it is read in pages of a tail's read back */
    private void send(Context ctx, String id, boolean follow, boolean ndjson, long after, boolean fromTail)
            throws Exception {
        // why: the tail's chunks, read back to size them, were read again 16 a call, a thousand calls for 2 MiB of lines
        int batch = fromTail ? TAIL_PAGE : BATCH;
        ctx.contentType(ndjson ? "application/x-ndjson" : "application/octet-stream");
        ctx.header("Cache-Control", "no-store");
        ctx.header("X-Accel-Buffering", "no"); // a proxy must pass output and keep-alives on as they come
        var changed = new Semaphore(0);
        RuntimeException cutBy = null;
        try (AutoCloseable ignored = store.subscribe(new QueueListener() {
            @Override
            public void logAppended(String jobId) {
                if (jobId.equals(id)) {
                    changed.release();
                }
            }

            @Override
            public void jobChanged(Job changedJob) {
                if (changedJob.isFinal() && changedJob.id().equals(id)) {
                    changed.release();
                }
            }
        })) {
            OutputStream out = ctx.res().getOutputStream();
            long lastWrite = System.nanoTime();
            var tokenValid = TokenCheck.stillValid(ctx);
            while (true) {
                if (!tokenValid.getAsBoolean()) {
                    cutBy = new IllegalStateException("the token of this follow was revoked");
                    break;
                }
                // why: read the state before the chunks, so output stored just before the job
                // finished is never missed
                boolean finished;
                List<LogChunk> chunks;
                try {
                    finished = !follow || store.get(id).map(Job::isFinal).orElse(true);
                    chunks = store.readLog(id, after, batch);
                } catch (RuntimeException e) {
                    if (!ctx.res().isCommitted()) {
                        throw e; // nothing sent yet: the client gets the problem (503 while the queue is away)
                    }
                    // why cut: a problem written now would read as the job's own output, and a clean end as all of it
                    LOG.log(System.Logger.Level.WARNING, "following the output of job " + id + " was cut: " + e.getMessage());
                    cutBy = e;
                    break;
                }
                for (LogChunk chunk : chunks) {
                    out.write(ndjson ? (Json.write(chunk) + "\n").getBytes(StandardCharsets.UTF_8) : chunk.data());
                    after = chunk.seq();
                }
                if (!chunks.isEmpty()) {
                    lastWrite = System.nanoTime();
                } else if (ndjson && System.nanoTime() - lastWrite >= keepAlive.toNanos()) {
                    // why: only a write notices a client that has gone; an empty line is no chunk
                    out.write('\n');
                    lastWrite = System.nanoTime();
                }
                out.flush();
                if (chunks.size() == batch) {
                    continue;
                }
                batch = BATCH; // caught up: what comes now comes a little at a time
                if (finished) {
                    return;
                }
                changed.tryAcquire(1, TimeUnit.SECONDS);
                changed.drainPermits();
            }
        } catch (IOException e) {
            // the client went away
        }
        if (cutBy != null) {
            cut(ctx, cutBy); // once the subscription is gone: the client that sees the cut sees it released
        }
    }

    /**
     * Closes the connection without the response's last chunk, so that a client sees its output cut
     * short (curl: "transfer closed with outstanding read data remaining") rather than complete.
     */
    private static void cut(Context ctx, Exception cause) {
        org.eclipse.jetty.server.Request base = org.eclipse.jetty.server.Request.getBaseRequest(ctx.req());
        if (base != null) {
            base.getHttpChannel().abort(cause);
        }
    }

    /** A true/false query parameter; absent or empty is false, and anything but true or false is refused. */
    private static boolean flag(Context ctx, String name) {
        String raw = QueryParams.value(ctx, name);
        if (raw == null || raw.equalsIgnoreCase("false")) {
            return false;
        }
        if (raw.equalsIgnoreCase("true")) {
            return true;
        }
        throw ApiException.badField(name, "must be true or false, got '" + raw + "'");
    }
}
