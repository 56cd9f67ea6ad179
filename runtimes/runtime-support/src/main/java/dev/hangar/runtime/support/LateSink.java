package dev.hangar.runtime.support;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.OutputSink;
import java.util.concurrent.CompletableFuture;

/**
 * An output sink given later: a prestarted sandbox's output is read from the start, and reaches
 * the job's sink once {@link #attach} is called. Nothing is buffered: before that, the launcher
 * prints only its ready byte, which completes {@link #ready()} (the sink is attached before the job
 * is handed over, so none of the job's output comes early).
 */
public final class LateSink implements OutputSink {
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile OutputSink target;

    public void attach(OutputSink sink) {
        target = sink;
    }

    /** Fails {@link #ready()} when the launcher ended before it said it was ready (no shell, killed). */
    public void endedWith(CompletableFuture<ExitStatus> exit) {
        exit.whenComplete((status, error) -> ready.completeExceptionally(new IllegalStateException(
                "the launcher ended first" + (status != null ? " (exit code " + status.code() + ")" : ""))));
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
        // before the job, the launcher's one byte is all there is; anything else is dropped
        for (int i = offset; i < offset + length; i++) {
            if (stream == Stream.STDOUT && data[i] == LauncherScript.READY) {
                ready.complete(null);
            }
        }
    }
}
