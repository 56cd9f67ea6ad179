package dev.hangar.agent;

import dev.hangar.core.queue.QueueException;
import java.time.Duration;
import java.time.Instant;
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
    /** A call that keeps failing (the queue away a while) is logged again at most this often, not at each try. */
    private static final Duration LOG_EVERY = Duration.ofSeconds(10);

    private final Duration patience;
    private final boolean logged;

    QueueRetry(Duration patience) {
        this(patience, true);
    }

    private QueueRetry(Duration patience, boolean logged) {
        this.patience = patience;
        this.logged = logged;
    }

    /** One that does not log its tries: its caller logs the call's failure, once. */
    static QueueRetry quiet(Duration patience) {
        return new QueueRetry(patience, false);
    }

    <T> T call(String what, Supplier<T> call) {
        Instant giveUp = Instant.now().plus(patience);
        Duration pause = FIRST_PAUSE;
        Instant loggedAt = null;
        while (true) {
            try {
                return call.get();
            } catch (QueueException e) {
                Instant now = Instant.now();
                if (now.plus(pause).isAfter(giveUp)) {
                    throw e;
                }
                if (logged && (loggedAt == null || !now.isBefore(loggedAt.plus(LOG_EVERY)))) {
                    loggedAt = now;
                    LOG.log(System.Logger.Level.WARNING, String.format(java.util.Locale.ROOT, "%s failed; retrying for up to"
                            + " %.1f s: %s", what, Duration.between(now, giveUp).toMillis() / 1000.0, e.getMessage()));
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
