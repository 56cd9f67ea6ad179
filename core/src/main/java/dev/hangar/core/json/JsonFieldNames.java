package dev.hangar.core.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * Jackson's complaints in a job spec's words: the path of the field at fault and what its value
 * must be, never a Java type. Shared by every reader of specs (the REST API, the submit stream),
 * so that one mistake reads the same wherever it was made.
 */
public final class JsonFieldNames {
    private JsonFieldNames() {}

    /** The path of the failing field, e.g. {@code resources.memoryMb} or {@code command[2]}; {@code whole} if none. */
    public static String path(JsonMappingException e, String whole) {
        var out = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.isEmpty() ? whole : out.toString();
    }

    /** The same for a pointer into the document; {@code whole} for its root. */
    public static String path(JsonPointer pointer, String whole) {
        var out = new StringBuilder();
        for (JsonPointer at = pointer; at != null && !at.matches(); at = at.tail()) {
            if (at.getMatchingIndex() >= 0) {
                out.append('[').append(at.getMatchingIndex()).append(']');
            } else {
                out.append(out.isEmpty() ? "" : ".").append(at.getMatchingProperty());
            }
        }
        return out.isEmpty() ? whole : out.toString();
    }

    /**
     * The path of a field given twice in one object, if that is what the parser refused (duplicate
     * names are refused, see {@link Json#mapper}); the parser stands at the second one.
     */
    public static Optional<String> duplicate(JsonProcessingException e) {
        if (!String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")
                || !(e.getProcessor() instanceof JsonParser parser)) {
            return Optional.empty();
        }
        return Optional.of(path(parser.getParsingContext().pathAsPointer(), ""));
    }

    /** What a value of this type is, as a JSON document says it. */
    public static String expected(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (CharSequence.class.isAssignableFrom(type)) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == Short.class || type == short.class || type == Byte.class || type == byte.class) {
            return "a whole number";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.toString(type.getEnumConstants());
        }
        if (type.isArray() || Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        return Map.class.isAssignableFrom(type) ? "an object of names and values" : "an object";
    }
}
