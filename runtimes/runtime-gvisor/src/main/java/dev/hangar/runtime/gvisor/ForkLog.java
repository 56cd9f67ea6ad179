package dev.hangar.runtime.gvisor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the forks gVisor's kernel refused a sandbox because of its process limit.
 *
 * <p>The limit is {@code RLIMIT_NPROC}, enforced inside the sandbox, so no host counter sees it.
 * The sentry is told to trace only the fork syscalls into a FIFO; this reads the FIFO as it comes,
 * keeps only the count of {@code errno=11} (EAGAIN) exits and drops the rest, so nothing grows on
 * disk however many processes a job starts. The price, measured with runsc run alone: about 20 ms
 * more per start (the sentry's log at info level), and the trace of each fork.
 */
final class ForkLog {
    private static final Duration DRAIN_BOUND = Duration.ofSeconds(2);

    private final Path fifo;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicBoolean opened = new AtomicBoolean();
    private final CompletableFuture<Long> done = new CompletableFuture<>();

    private ForkLog(Path fifo) {
        this.fifo = fifo;
    }

    /** Makes the FIFO with mkfifo and starts reading it; the writer (the sentry) may come later or never. */
    static ForkLog start(Path mkfifo, Path fifo) throws IOException {
        Files.deleteIfExists(fifo);
        Runsc.Result made = Runsc.call(List.of(mkfifo.toString(), "-m", "600", fifo.toString()), Duration.ofSeconds(10));
        if (made.code() != 0) {
            throw new IOException("mkfifo " + fifo + " failed: " + made.output());
        }
        var log = new ForkLog(fifo);
        // why: a platform thread; a reader blocked in open() on a FIFO must not pin a virtual thread's carrier
        Thread.ofPlatform().daemon().name("gvisor-forklog").start(log::read);
        return log;
    }

    Path path() {
        return fifo;
    }

    private void read() {
        // opening a FIFO for reading blocks until a writer opens it
        try (var in = new BufferedReader(new InputStreamReader(Files.newInputStream(fifo), StandardCharsets.UTF_8))) {
            opened.set(true);
            String line;
            while ((line = in.readLine()) != null) {
                if (line.contains("errno=11 ") && isForkExit(line)) {
                    refused.incrementAndGet();
                }
            }
        } catch (IOException ignored) {
            // the FIFO went away: count what was seen
        } finally {
            done.complete(refused.get());
        }
    }

    /** A strace exit line: "... sh X clone(...) = 0 (0x0) errno=11 (try again) (..)". */
    private static boolean isForkExit(String line) {
        int exit = line.indexOf(" X ");
        if (exit < 0) {
            return false;
        }
        String call = line.substring(exit + 3);
        return call.startsWith("clone(") || call.startsWith("clone3(") || call.startsWith("fork(")
                || call.startsWith("vfork(");
    }

    /**
     * Forks refused, once the sentry has closed the log (it has ended). If runsc failed before it
     * opened the FIFO, the reader is released here; a writer that never lets go is not waited for.
     */
    CompletableFuture<Long> refusedAfterEnd() {
        if (!opened.get()) {
            release();
        }
        return done.completeOnTimeout(refused.get(), DRAIN_BOUND.toMillis(), TimeUnit.MILLISECONDS)
                .thenApply(count -> refused.get());
    }

    /** Unblocks a reader stuck opening the FIFO: opening it read-write never blocks, then closing is EOF. */
    private void release() {
        try {
            // opened and closed: a reader waiting in open() now sees end of file
            new RandomAccessFile(fifo.toFile(), "rw").close();
        } catch (IOException e) {
            // the FIFO is gone: so is the reader
        }
    }

    /** Releases the reader and removes the FIFO. */
    void close() {
        release();
        try {
            Files.deleteIfExists(fifo);
        } catch (IOException ignored) {
            // the bundle directory goes with the sandbox anyway
        }
    }
}
