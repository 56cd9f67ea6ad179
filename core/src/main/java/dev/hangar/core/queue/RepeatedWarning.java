package dev.hangar.core.queue;

import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The warning of a task that runs again and again (a heartbeat, a poll, an upkeep) while it fails:
 * the first failure is logged at once, then one a half minute says how many more there were, and
 * the first success after says the task works again. Why: a queue out of reach fails such a task
 * every second or two, and an hour's outage logged thousands of lines that said the same thing.
 */
public final class RepeatedWarning {
    static final Duration EVERY = Duration.ofSeconds(30);

    private final System.Logger log;
    private final String what;
    private final LongSupplier nanoTime;
    private volatile boolean failing;
    private long loggedAt;
    private int heldBack;

    /** A warning of {@code what} ("renewing leases"), which this logger logs. */
    public RepeatedWarning(System.Logger log, String what) {
        this(log, what, System::nanoTime);
    }

    RepeatedWarning(System.Logger log, String what, LongSupplier nanoTime) {
        this.log = log;
        this.what = what;
        this.nanoTime = nanoTime;
    }

    /** The task failed; {@code then} says what happens next ("; trying again next time"), or is empty. */
    public synchronized void failed(String then, Throwable failure) {
        long now = nanoTime.getAsLong();
        if (failing && now - loggedAt < EVERY.toNanos()) {
            heldBack++;
            return;
        }
        String held = heldBack == 0 ? "" : String.format(Locale.ROOT, " (and %d time(s) more in the last %d s)", heldBack,
                Duration.ofNanos(now - loggedAt).toSeconds());
        QueueException.warn(log, what + " failed" + then + held, failure);
        failing = true;
        loggedAt = now;
        heldBack = 0;
    }

    /** The task worked: if it had been failing, says so once. */
    public void succeeded() {
        if (!failing) {
            return; // the common case, without a lock
        }
        synchronized (this) {
            if (failing) {
                log.log(System.Logger.Level.INFO, what + " works again" + (heldBack == 0 ? ""
                        : " (it failed " + heldBack + " time(s) more since the last warning)"));
                failing = false;
                heldBack = 0;
            }
        }
    }
}
