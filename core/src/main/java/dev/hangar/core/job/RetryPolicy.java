package dev.hangar.core.job;

import java.time.Duration;

/**
 * How often a failed job is tried again. Backoff doubles from {@code backoffSeconds} per attempt
 * and is capped at {@code maxBackoffSeconds}: 300 s unless given, or the first backoff if that is
 * longer, so that a backoff asked for is never cut short by a cap that was not.
 */
public record RetryPolicy(Integer maxAttempts, Double backoffSeconds, Double maxBackoffSeconds) {
    /** The longest backoff or cap a job may ask for: a day. */
    public static final double MOST_SECONDS = 86_400;
    private static final double DEFAULT_CAP = 300;

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

    /** Delay before attempt {@code failedAttempt + 1}. */
    public Duration backoffAfter(int failedAttempt) {
        double seconds = backoffSeconds * Math.pow(2, Math.max(0, failedAttempt - 1));
        return Duration.ofMillis((long) (Math.min(seconds, maxBackoffSeconds) * 1000));
    }
}
