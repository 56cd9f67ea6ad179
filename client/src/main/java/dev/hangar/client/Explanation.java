package dev.hangar.client;

import dev.hangar.core.select.Selection;

/**
 * What {@code POST /v1/explain} answers.
 *
 * @param selection the runtime chosen, or none, and why not the others
 * @param waiting   when a submit would take the job but leave it waiting in the queue (no node that is
 *                  up can run it, or none has joined yet), why (the API's {@code waiting}); else null
 */
public record Explanation(Selection selection, String waiting) {
    /** The answer as the API gives it: the selection's fields, and {@code waiting} if a submit would wait (also its JSON). */
    @com.fasterxml.jackson.annotation.JsonValue
    public com.fasterxml.jackson.databind.JsonNode asJson() {
        return dev.hangar.core.json.Json.treeWith(selection, "waiting", waiting);
    }

    /** Whether a submit would refuse the job: no runtime is chosen, and it would not wait for one either. */
    public boolean refused() {
        return selection.refused() && waiting == null;
    }
}
