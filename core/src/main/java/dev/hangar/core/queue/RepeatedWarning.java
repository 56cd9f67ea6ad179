package dev.hangar.core.queue;

import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The warning of a task that runs again and again (a heartbeat, a poll, an upkeep) while it fails:
 * a failure is logged at once, then for a half minute the failures of its kind are only counted,
 * the next warning saying how many there were; the first success after a warning says the task
 * works again. Why: a queue out of reach fails such a task every second or two, and an hour's
 * outage logged thousands of lines that said the same thing. A failure of another kind (a bug
 * beside the outage) is logged at once.
 */
public final class RepeatedWarning {
    static final Duration EVERY = Duration.ofSeconds(30);

    private final System.Logger log;
    private final String what;
    private final LongSupplier nanoTime;
    /** Whether it failed since it last worked, read without the lock by the common case, a success. */
    private volatile boolean failing;
    private boolean warnedSinceItWorked;
    private Class<?> lastKind;
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
        failing = true;
        // within a half minute of the last warning, even if it worked in between: a task that fails every
        // other time is not logged twice a cycle
        if (failure.getClass() == lastKind && now - loggedAt < EVERY.toNanos()) {
            heldBack++;
            return;
        }
        String held = heldBack == 0 ? "" : String.format(Locale.ROOT, " (and %d time(s) more in the last %d s)", heldBack,
                Duration.ofNanos(now - loggedAt).toSeconds());
        QueueException.warn(log, what + " failed" + then + held, failure);
        lastKind = failure.getClass();
        loggedAt = now;
        heldBack = 0;
        warnedSinceItWorked = true;
    }

    /** The task worked: if it had been failing since a warning, says so once. */
    public void succeeded() {
        if (!failing) {
            return; // the common case, without a lock
        }
        synchronized (this) {
            failing = false;
            if (warnedSinceItWorked) {
                log.log(System.Logger.Level.INFO, what + " works again" + (heldBack == 0 ? ""
                        : " (it failed " + heldBack + " time(s) more since the last warning)"));
                warnedSinceItWorked = false;
                heldBack = 0;
            }
        }
    }
}
