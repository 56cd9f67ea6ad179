package dev.hangar.runtime.support;

import dev.hangar.core.runtime.OutputSink;
import java.util.concurrent.CompletableFuture;

/**
 * An output sink given later: a prestarted sandbox's output is read from the start, and reaches
 * the job's sink once {@link #attach} is called. Nothing is buffered: what comes before is dropped,
 * and a launcher prints nothing before its job (it is attached before the job is handed over).
 */
public final class LateSink implements OutputSink {
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile OutputSink target;

    public void attach(OutputSink sink) {
        target = sink;
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
