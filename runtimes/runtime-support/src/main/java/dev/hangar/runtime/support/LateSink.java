package dev.hangar.runtime.support;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.OutputSink;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * An output sink given later: a prestarted sandbox's output is read from the start, and reaches
 * the job's sink once {@link #attach} is called. Nothing is passed on before that: the launcher
 * prints only its ready byte, which completes {@link #ready()} (the sink is attached before the job
 * is handed over, so none of the job's output comes early). What the launcher's runtime says on
 * stderr before then (why it could not start) is kept, its first few KiB, for its failure.
 */
public final class LateSink implements OutputSink {
    private static final int KEPT_STDERR_BYTES = 4096;

    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile OutputSink target;
    private final ByteArrayOutputStream earlyStderr = new ByteArrayOutputStream();

    public void attach(OutputSink sink) {
        target = sink;
    }

    /** Fails {@link #ready()} when the launcher ended before it said it was ready (no shell, killed). */
    public void endedWith(CompletableFuture<ExitStatus> exit) {
        exit.whenComplete((status, error) -> ready.completeExceptionally(new IllegalStateException(
                "the launcher ended first" + (status != null ? " (exit code " + status.code() + ")" : "")
                        + (error != null ? " (" + rootMessage(error) + ")" : "") + said())));
    }

    /** The driver's account of how the launcher ended (its exit check's), past the future's wrapping. */
    private static String rootMessage(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        return String.valueOf(cause.getMessage());
    }

    /** What the launcher said on stderr before it was ready, if anything. */
    private String said() {
        synchronized (earlyStderr) {
            String text = earlyStderr.toString(StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "" : ": " + text;
        }
    }

    /** Completes when the launcher printed {@link LauncherScript#READY}: it waits for its job. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    @Override
    public void write(Stream stream, byte[] data, int offset, int length) {
        OutputSink now = target;
        if (now != null) {
            now.write(stream, data, offset, length);
            return;
        }
        // before the job, the launcher's one byte is all there is; anything else is dropped, but for
        // the start of stderr: a runtime's reason for failing to start it
        if (stream == Stream.STDERR) {
            synchronized (earlyStderr) {
                earlyStderr.write(data, offset, Math.min(length, Math.max(0, KEPT_STDERR_BYTES - earlyStderr.size())));
            }
        }
        for (int i = offset; i < offset + length; i++) {
            if (stream == Stream.STDOUT && data[i] == LauncherScript.READY) {
                ready.complete(null);
            }
        }
    }
}
