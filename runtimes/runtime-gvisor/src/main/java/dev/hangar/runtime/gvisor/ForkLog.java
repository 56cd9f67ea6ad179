package dev.hangar.runtime.gvisor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * disk however many processes a job starts. The price: the trace of each fork; on start, nothing
 * measurable here (runsc run with and without the trace flags, 50 runs interleaved, 2026-11-23:
 * p50 within the noise of about 5 ms).
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

    /**
     * Starts making the FIFO with mkfifo and returns without waiting for it: a sandbox does this in
     * {@code create}, so the spawn of mkfifo overlaps the rest of its start instead of delaying
     * {@code runsc run} (the JDK cannot make a FIFO without a process).
     */
    static Pending make(Path mkfifo, Path fifo) throws IOException {
        Files.deleteIfExists(fifo);
        var builder = new ProcessBuilder(mkfifo.toString(), "-m", "600", fifo.toString()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        Process process = builder.start();
        process.getOutputStream().close();
        return new Pending(process, fifo);
    }

    /** A FIFO being made by mkfifo. */
    record Pending(Process process, Path fifo) {
        /** A FIFO that is already there. */
        static Pending made(Path fifo) {
            return new Pending(null, fifo);
        }

        /** Waits for mkfifo, then starts reading the FIFO; the writer (the sentry) may come later or never. */
        ForkLog start() throws IOException {
            if (process == null) {
                return reading(fifo);
            }
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IOException("mkfifo " + fifo + " did not end within 10 s");
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted making " + fifo, e);
            }
            if (process.exitValue() != 0) {
                String said;
                try (var in = process.getInputStream()) {
                    said = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
                }
                throw new IOException("mkfifo " + fifo + " failed: " + said);
            }
            return reading(fifo);
        }

        /** Stops mkfifo if it still runs; the FIFO goes with the bundle. */
        void abandon() {
            if (process == null) {
                return;
            }
            process.destroyForcibly();
            try {
                process.waitFor(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ForkLog reading(Path fifo) {
        var log = new ForkLog(fifo);
        // why: a platform thread; a reader blocked in open() on a FIFO must not pin a virtual thread's carrier
        Thread.ofPlatform().daemon().name("gvisor-forklog").start(log::read);
        return log;
    }

    /** Makes the FIFO with mkfifo, waiting for it, and starts reading it. */
    static ForkLog start(Path mkfifo, Path fifo) throws IOException {
        return make(mkfifo, fifo).start();
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
