package dev.hangar.agent;

import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.RepeatedWarning;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Retries a queue call that failed because the queue could not be reached (e.g. Redis restarting),
 * for up to its patience (a job's steps: as long as a lease lasts, by when the job has been handed to
 * another worker anyway). Safe for every call a worker makes: each is fenced by the lease token, so a
 * call that did reach the queue before its reply was lost is refused the second time rather than
 * applied twice.
 */
final class QueueRetry {
    private static final System.Logger LOG = System.getLogger(QueueRetry.class.getName());
    private static final Duration FIRST_PAUSE = Duration.ofMillis(50);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(1);

    private final Duration patience;
    /**
     * The failed tries of all its calls, logged as one task's (the first, then a count each half minute):
     * an outage fails every running job's calls at once, and each job's used to log a line of its own.
     * Null: not logged.
     */
    private final RepeatedWarning warning;

    QueueRetry(Duration patience) {
        this(patience, new RepeatedWarning(LOG, "a job's call to the queue"));
    }

    private QueueRetry(Duration patience, RepeatedWarning warning) {
        this.patience = patience;
        this.warning = warning;
    }

    /** One that does not log its tries: its caller logs the call's failure, once. */
    static QueueRetry quiet(Duration patience) {
        return new QueueRetry(patience, null);
    }

    <T> T call(String what, Supplier<T> call) {
        // why the monotonic clock: a wall clock stepped back an hour kept a job's calls trying for that hour
        long giveUp = System.nanoTime() + patience.toNanos();
        Duration pause = FIRST_PAUSE;
        while (true) {
            try {
                T result = call.get();
                if (warning != null) {
                    warning.succeeded();
                }
                return result;
            } catch (QueueException e) {
                long left = giveUp - System.nanoTime();
                if (left < pause.toNanos()) {
                    throw e;
                }
                if (warning != null) {
                    warning.failed(String.format(java.util.Locale.ROOT, " (%s; retrying it for up to %.1f s)", what,
                            left / 1e9), e);
                }
                sleep(pause);
                pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
            }
        }
    }

    void run(String what, Runnable call) {
        call(what, () -> {
            call.run();
            return null;
        });
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QueueException("interrupted while waiting to retry", e);
        }
    }
}
