package dev.hangar.queue.redis;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.Timings;
import dev.hangar.core.json.Json;
import dev.hangar.core.select.Selection;
import java.time.Instant;
import java.util.Map;

/**
 * Reads a {@link Job} out of its hash {@code P:job:<id>} (or out of a change entry, which carries
 * the same fields). The fields are written by the Lua scripts; "" means unset.
 */
final class JobHash {
    private JobHash() {}

    static Job toJob(Map<String, String> hash) {
        String selection = text(hash, "selection");
        String exitCode = text(hash, "exitCode");
        return new Job(
                hash.get("id"),
                Json.read(hash.get("spec"), JobSpec.class),
                JobState.valueOf(hash.get("state")),
                Integer.parseInt(hash.get("attempt")),
                Integer.parseInt(hash.get("deliveries")),
                new Timings(
                        instant(hash, "submittedAt"),
                        instant(hash, "scheduledAt"),
                        instant(hash, "startingAt"),
                        instant(hash, "runningAt"),
                        instant(hash, "finishedAt")),
                text(hash, "node"),
                text(hash, "runtime"),
                selection == null ? null : Json.read(selection, Selection.class),
                exitCode == null ? null : Integer.valueOf(exitCode),
                text(hash, "error"),
                "1".equals(hash.get("truncated")),
                "1".equals(hash.get("cancel")));
    }

    /** The lease token the job holds, or null. */
    static String token(Map<String, String> hash) {
        return text(hash, "token");
    }

    static long seq(Map<String, String> hash) {
        return Long.parseLong(hash.get("seq"));
    }

    private static String text(Map<String, String> hash, String field) {
        String value = hash.get(field);
        return value == null || value.isEmpty() ? null : value;
    }

    private static Instant instant(Map<String, String> hash, String field) {
        String millis = text(hash, field);
        return millis == null ? null : Instant.ofEpochMilli(Long.parseLong(millis));
    }
}
