package dev.hangar.core.job;

import java.time.Duration;

/**
 * How often a failed job is tried again. Backoff doubles from {@code backoffSeconds} per attempt
 * and is capped at {@code maxBackoffSeconds}: 300 s unless given, or the first backoff if that is
 * longer, so that a backoff asked for is never cut short by a cap that was not. Each backoff is then
 * drawn up to a tenth longer, so that jobs failing together (a service they all call went down) do
 * not all come back in the same instant; never shorter than asked, never longer than a day.
 */
public record RetryPolicy(Integer maxAttempts, Double backoffSeconds, Double maxBackoffSeconds) {
    /** The longest backoff or cap a job may ask for: a day. */
    public static final double MOST_SECONDS = 86_400;
    private static final double DEFAULT_CAP = 300;
    /** How much longer, at most, a drawn backoff is than the one asked for: a tenth. */
    public static final double SPREAD = 0.1;

    public RetryPolicy {
        maxAttempts = maxAttempts == null ? 1 : maxAttempts;
        backoffSeconds = backoffSeconds == null ? 1.0 : backoffSeconds;
        if (maxBackoffSeconds == null) {
            // why the bound: a backoff out of range is refused as such, not told as a cap never given
            maxBackoffSeconds = backoffSeconds > DEFAULT_CAP && backoffSeconds <= MOST_SECONDS ? backoffSeconds : DEFAULT_CAP;
        }
    }

    public static RetryPolicy none() {
        return new RetryPolicy(null, null, null);
    }

    /**
     * Delay before attempt {@code failedAttempt + 1}; {@code draw}, in [0, 1), picks where it falls between the
     * backoff asked for and a tenth more.
     */
    public Duration backoffAfter(int failedAttempt, double draw) {
        double seconds = Math.min(backoffSeconds * Math.pow(2, Math.max(0, failedAttempt - 1)), maxBackoffSeconds);
        double drawn = Math.min(seconds * (1 + SPREAD * draw), Math.max(seconds, MOST_SECONDS));
        return Duration.ofMillis((long) (drawn * 1000));
    }
}
