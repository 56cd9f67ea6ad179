package dev.hangar.core.job;

import java.time.Duration;

/**
 * How often a failed job is tried again. Backoff doubles from {@code backoffSeconds} per attempt
 * and is capped at {@code maxBackoffSeconds}.
 */
public record RetryPolicy(Integer maxAttempts, Double backoffSeconds, Double maxBackoffSeconds) {
    public RetryPolicy {
        maxAttempts = maxAttempts == null ? 1 : maxAttempts;
        backoffSeconds = backoffSeconds == null ? 1.0 : backoffSeconds;
        maxBackoffSeconds = maxBackoffSeconds == null ? 300.0 : maxBackoffSeconds;
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
