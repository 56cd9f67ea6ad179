package dev.hangar.queue.redis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One entry of the dead-letter stream: a submit entry that was not a valid job ({@code source},
 * {@code reason} and the entry's own fields, each named {@code entry.NAME}) or a job that ended DEAD
 * ({@code job}, {@code error}).
 */
public record DeadLetter(String id, Map<String, String> fields) {
    /** What a dead letter's copies of a submit entry's field names start with. */
    public static final String ENTRY = "entry.";
    /** The most fields of a submit entry a dead letter copies; the rest are counted. */
    static final int MAX_ENTRY_FIELDS = 64;
    /**
     * The most characters of one value (a field of the entry, or the reason) a dead letter keeps: the
     * stream is bounded by entries, not bytes, and a producer's mistake may be megabytes long.
     */
    static final int MAX_VALUE_CHARS = 4096;

    public DeadLetter {
        fields = Map.copyOf(fields);
    }

    /**
     * A submit entry's fields as text, in order, every one kept: a name given again is kept as
     * {@code NAME#2}, {@code NAME#3} (the next such name the entry does not hold), so that a dead letter
     * shows each value its producer sent.
     */
    static Map<String, String> entryAsGiven(Map<byte[], byte[]> body) {
        Map<String, String> fields = new LinkedHashMap<>();
        body.forEach((rawName, value) -> {
            String name = Replies.text(rawName);
            String kept = name;
            // the next number no field holds: an entry may itself name a field 'a#2' beside two named 'a'
            for (int time = 2; fields.containsKey(kept); time++) {
                kept = name + "#" + time;
            }
            fields.put(kept, Replies.text(value));
        });
        return fields;
    }

    /**
     * A submit entry's fields as a dead letter keeps them: named {@code entry.NAME}, so that an entry
     * with fields named {@code reason} or {@code job} cannot pass for the queue's own, and at most
     * {@link #MAX_ENTRY_FIELDS} of them, with {@code entryFieldsLeftOut} counting the others, each name
     * and value {@link #shortened}.
     */
    static List<String> entryFields(Map<String, String> entry) {
        List<String> fields = new ArrayList<>();
        int kept = 0;
        for (Map.Entry<String, String> field : entry.entrySet()) {
            if (kept++ == MAX_ENTRY_FIELDS) {
                break;
            }
            fields.add(ENTRY + shortened(field.getKey()));
            fields.add(shortened(field.getValue()));
        }
        if (entry.size() > MAX_ENTRY_FIELDS) {
            fields.add("entryFieldsLeftOut");
            fields.add(Integer.toString(entry.size() - MAX_ENTRY_FIELDS));
        }
        return fields;
    }

    /** The text as a dead letter keeps it: at most {@link #MAX_VALUE_CHARS}, saying how long it was. */
    static String shortened(String text) {
        if (text.length() <= MAX_VALUE_CHARS) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(MAX_VALUE_CHARS - 1)) ? MAX_VALUE_CHARS - 1 : MAX_VALUE_CHARS;
        return text.substring(0, end) + "... (" + text.length() + " characters in all)";
    }

    /** The field's value, or null. */
    public String field(String name) {
        return fields.get(name);
    }
}
