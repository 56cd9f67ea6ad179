package dev.hangar.queue.redis;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.StartPath;
import dev.hangar.core.job.Timings;
import dev.hangar.core.select.Selection;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a {@link Job} out of its hash {@code P:job:<id>}, or out of a job's view: the fields a Job
 * shows, as the scripts return them and as change entries carry them (common.lua, {@code job}). The
 * fields are written by the Lua scripts; "" or absent means unset. Spec and selection JSON is parsed
 * once per text (see {@link JsonCache}): a job carries the same spec through every change.
 */
final class JobHash {
    private static final JsonCache<JobSpec> SPECS = new JsonCache<>(JobSpec.class, 4096);
    private static final JsonCache<Selection> SELECTIONS = new JsonCache<>(Selection.class, 256);
    /** The fields of a job's view, as VIEW in common.lua lists them. */
    static final byte[][] VIEW_FIELDS = Stream.of("id", "spec", "state", "attempt", "deliveries", "submittedAt",
                    "scheduledAt", "startingAt", "runningAt", "finishedAt", "node", "runtime", "selection", "exitCode",
                    "error", "truncated", "cancel", "sandboxReadyAt", "startPath", "sandboxId", "sandboxCreatedAt")
            .map(RedisLink::bytes).toArray(byte[][]::new);

    private JobHash() {}

    static Job toJob(Map<String, String> hash) {
        Fields fields = new Fields();
        hash.forEach(fields::set);
        return fields.toJob();
    }

    /** A view as a flat field, value, ... reply of byte strings. */
    static Job fromView(List<?> flat) {
        Fields fields = new Fields();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            fields.set(name(flat.get(i)), Replies.text(flat.get(i + 1)));
        }
        return fields.toJob();
    }

    /** The job's deliveries handed back at a worker's stop (JobQueue#handBackAtStop); none if the field is absent. */
    static int stops(Map<String, String> hash) {
        String stops = hash.get("stops");
        return stops == null || stops.isEmpty() ? 0 : Integer.parseInt(stops);
    }

    /** The lease token the job holds, or null. */
    static String token(Map<String, String> hash) {
        return text(hash.get("token"));
    }

    /** Field names are ASCII. */
    private static String name(Object reply) {
        return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.ISO_8859_1) : Replies.text(reply);
    }

    private static String text(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static Instant instant(String millis) {
        return millis == null || millis.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(millis));
    }

    /** The fields of a Job as they come; the rest of a hash is ignored. */
    private static final class Fields {
        private String id;
        private String spec;
        private String state;
        private String attempt;
        private String deliveries;
        private String submittedAt;
        private String scheduledAt;
        private String startingAt;
        private String runningAt;
        private String finishedAt;
        private String node;
        private String runtime;
        private String selection;
        private String exitCode;
        private String error;
        private String truncated;
        private String cancel;
        private String sandboxReadyAt;
        private String startPath;
        private String sandboxId;
        private String sandboxCreatedAt;

        void set(String name, String value) {
            switch (name) {
                case "id" -> id = value;
                case "spec" -> spec = value;
                case "state" -> state = value;
                case "attempt" -> attempt = value;
                case "deliveries" -> deliveries = value;
                case "submittedAt" -> submittedAt = value;
                case "scheduledAt" -> scheduledAt = value;
                case "startingAt" -> startingAt = value;
                case "runningAt" -> runningAt = value;
                case "finishedAt" -> finishedAt = value;
                case "node" -> node = value;
                case "runtime" -> runtime = value;
                case "selection" -> selection = value;
                case "exitCode" -> exitCode = value;
                case "error" -> error = value;
                case "truncated" -> truncated = value;
                case "cancel" -> cancel = value;
                case "sandboxReadyAt" -> sandboxReadyAt = value;
                case "startPath" -> startPath = value;
                case "sandboxId" -> sandboxId = value;
                case "sandboxCreatedAt" -> sandboxCreatedAt = value;
                default -> { }
            }
        }

        private StartPath path() {
            String value = text(startPath);
            return value == null ? null : StartPath.valueOf(value);
        }

        Job toJob() {
            String selectionJson = text(selection);
            String exit = text(exitCode);
            return new Job(
                    id,
                    SPECS.read(spec),
                    JobState.valueOf(state),
                    Integer.parseInt(attempt),
                    Integer.parseInt(deliveries),
                    new Timings(instant(submittedAt), instant(scheduledAt), instant(startingAt), instant(sandboxReadyAt),
                            instant(runningAt), instant(finishedAt), path(), text(sandboxId), instant(sandboxCreatedAt)),
                    text(node),
                    text(runtime),
                    selectionJson == null ? null : SELECTIONS.read(selectionJson),
                    exit == null ? null : Integer.valueOf(exit),
                    text(error),
                    "1".equals(truncated),
                    "1".equals(cancel));
        }
    }
}
