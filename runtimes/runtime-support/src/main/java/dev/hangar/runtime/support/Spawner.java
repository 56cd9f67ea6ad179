package dev.hangar.runtime.support;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts host processes from one platform thread that lives as long as the JVM.
 *
 * <p>Why: bwrap's {@code --die-with-parent} uses PR_SET_PDEATHSIG, which fires when the
 * <em>thread</em> that forked it ends. A process started from a virtual thread is forked by a
 * carrier thread, which the JVM retires when idle, and that would kill a running job.
 */
public final class Spawner {
    private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("hangar-spawner").factory());

    private Spawner() {}

    public static Process start(ProcessBuilder builder) throws IOException {
        try {
            return THREAD.submit(builder::start).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("could not start " + builder.command().get(0), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + builder.command().get(0), e);
        }
    }
}
