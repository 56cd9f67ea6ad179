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
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Streams a job's output: stored chunks first, then, with {@code follow=true}, new chunks as they
 * are stored, until the job is final. Raw bytes ({@code format=raw}, both streams interleaved) or
 * one JSON chunk per line ({@code format=ndjson}, with stream and attempt).
 */
final class LogStreamer {
    private static final int BATCH = 256;

    private final JobStore store;

    LogStreamer(JobStore store) {
        this.store = store;
    }

    void stream(Context ctx, Job job) throws Exception {
        QueryParams.only(ctx, java.util.List.of("follow", "format", "after"));
        boolean follow = flag(ctx, "follow");
        String format = java.util.Objects.requireNonNullElse(QueryParams.value(ctx, "format"), "raw");
        boolean ndjson = "ndjson".equalsIgnoreCase(format);
        if (!ndjson && !"raw".equalsIgnoreCase(format)) {
            throw ApiException.badField("format", "must be raw or ndjson, got '" + format + "'");
        }
        long after = JobRoutes.intParam(ctx, "after", 0, 0, Integer.MAX_VALUE);
        ctx.contentType(ndjson ? "application/x-ndjson" : "application/octet-stream");
        ctx.header("Cache-Control", "no-store");
        var changed = new Semaphore(0);
        String id = job.id();
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
            while (true) {
                // why: read the state before the chunks, so output stored just before the job
                // finished is never missed
                boolean finished = !follow || store.get(id).map(Job::isFinal).orElse(true);
                List<LogChunk> chunks = store.readLog(id, after, BATCH);
                for (LogChunk chunk : chunks) {
                    out.write(ndjson ? (Json.write(chunk) + "\n").getBytes(StandardCharsets.UTF_8) : chunk.data());
                    after = chunk.seq();
                }
                out.flush();
                if (chunks.size() == BATCH) {
                    continue;
                }
                if (finished) {
                    return;
                }
                changed.tryAcquire(1, TimeUnit.SECONDS);
                changed.drainPermits();
            }
        } catch (IOException e) {
            // the client went away
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
