package dev.hangar.runtime.support;

import dev.hangar.core.runtime.OutputSink;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;

/** Copies one output stream of a process to a sink as bytes arrive; completes at end of stream. */
public final class OutputPump {
    private OutputPump() {}

    public static CompletableFuture<Void> start(InputStream in, OutputSink.Stream stream, OutputSink sink) {
        var done = new CompletableFuture<Void>();
        Thread.ofPlatform().daemon().name("pump-" + stream).start(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (in) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    sink.write(stream, buffer, 0, n);
                }
            } catch (IOException ignored) {
                // why: the stream closes under us when the process is killed; that is its end
            } finally {
                done.complete(null);
            }
        });
        return done;
    }
}
