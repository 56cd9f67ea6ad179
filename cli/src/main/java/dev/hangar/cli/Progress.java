package dev.hangar.cli;

import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * A status line on standard error for waits longer than a second: silent for quick work,
 * updated in place on a terminal, one line every few seconds otherwise.
 */
final class Progress implements AutoCloseable {
    /** How often the status is asked for: the line's seconds move 5 times a second, and each ask may be a call. */
    static final long STATUS_EVERY_NANOS = 2_000_000_000L;

    private final PrintStream err;
    private final Supplier<String> status;
    private final long started;
    private final boolean terminal;
    private final Thread ticker;
    private volatile boolean shown;

    /** Whether our stderr is a terminal: System.console() asks of stdin and stdout only, not of a redirected stderr. */
    private static boolean stderrIsATerminal() {
        try {
            String target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false; // no /proc: one line every few seconds, which reads well anywhere
        }
    }

    Progress(PrintStream err, Supplier<String> status) {
        this(err, status, System.nanoTime());
    }

    /** A status line of a wait that began at {@code startedNanos} ({@link System#nanoTime}), told from a second on. */
    Progress(PrintStream err, Supplier<String> status, long startedNanos) {
        this(err, status, startedNanos, System.console() != null && stderrIsATerminal());
    }

    /** As above, told whether standard error is a terminal (a line updated in place) or not. */
    Progress(PrintStream err, Supplier<String> status, long startedNanos, boolean terminal) {
        this.terminal = terminal;
        this.err = err;
        this.status = status;
        this.started = startedNanos;
        this.ticker = Thread.ofVirtual().start(this::tick);
    }

    private void tick() {
        try {
            Thread.sleep(1000);
            String now = null;
            long asked = 0;
            while (!Thread.currentThread().isInterrupted()) {
                double seconds = (System.nanoTime() - started) / 1e9;
                if (now == null || System.nanoTime() - asked >= STATUS_EVERY_NANOS) {
                    now = statusNow();
                    asked = System.nanoTime();
                }
                if (Thread.currentThread().isInterrupted()) {
                    break; // closed while it asked: the status call was cut short, and its "status unknown" is no news
                }
                String line = String.format("hangar: %s (%.1f s)", now, seconds);
                if (terminal) {
                    err.print("\r\033[K" + line);
                } else {
                    err.println(line);
                }
                err.flush();
                shown = true;
                Thread.sleep(terminal ? 200 : 5000);
            }
        } catch (InterruptedException e) {
            // done
        }
    }

    /** The status, or why it cannot be had now (the server restarting, say): a status line must not end the wait. */
    private String statusNow() {
        try {
            return status.get();
        } catch (RuntimeException e) {
            return "status unknown: " + e.getMessage();
        }
    }

    @Override
    public void close() {
        ticker.interrupt();
        try {
            ticker.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (shown && terminal) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
