package dev.hangar.client;

import dev.hangar.core.job.Job;

/**
 * A job as {@code GET /v1/jobs/{id}} shows it.
 *
 * @param job     the job
 * @param waiting while it is QUEUED and no node that is up can run it, why it waits (the API's
 *                {@code waiting}); else null
 */
public record JobStatus(Job job, String waiting) {
    /** The job as the API shows it: its fields, and {@code waiting} if it waits (also its JSON, and a {@link StatusPage}'s). */
    @com.fasterxml.jackson.annotation.JsonValue
    public com.fasterxml.jackson.databind.JsonNode asJson() {
        return dev.hangar.core.json.Json.treeWith(job, "waiting", waiting);
    }

    /** Its state, and why it waits if it does: "QUEUED (no node that is up can run it: ...)". */
    public String describe() {
        return job.state() + (waiting == null ? "" : " (" + waiting + ")");
    }
}
