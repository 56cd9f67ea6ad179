package dev.hangar.queue.redis;

import java.util.Map;

/**
 * One entry of the dead-letter stream: a submit entry that was not a valid job ({@code source},
 * {@code reason} and the entry's own fields) or a job that ended DEAD ({@code job}, {@code error}).
 */
public record DeadLetter(String id, Map<String, String> fields) {
    public DeadLetter {
        fields = Map.copyOf(fields);
    }

    /** The field's value, or null. */
    public String field(String name) {
        return fields.get(name);
    }
}
