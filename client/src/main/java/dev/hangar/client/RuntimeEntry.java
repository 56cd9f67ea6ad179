package dev.hangar.client;

import dev.hangar.core.runtime.RuntimeStatus;

/**
 * A runtime as {@code GET /v1/runtimes} lists it.
 *
 * @param status  the runtime, as a node that has it reports it
 * @param waiting in a cluster, when no node that is up has it (only nodes lost a short while ago),
 *                why jobs for it would wait in the queue (the API's {@code waiting}); else null
 */
public record RuntimeEntry(RuntimeStatus status, String waiting) {
    /** The runtime as the API lists it: its fields, and {@code waiting} if jobs for it would wait (also its JSON). */
    @com.fasterxml.jackson.annotation.JsonValue
    public com.fasterxml.jackson.databind.JsonNode asJson() {
        return dev.hangar.core.json.Json.treeWith(status, "waiting", waiting);
    }
}
