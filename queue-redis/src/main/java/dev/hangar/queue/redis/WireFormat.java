package dev.hangar.queue.redis;

import static dev.hangar.core.json.JsonFieldNames.expected;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.json.Json;
import dev.hangar.core.json.JsonFieldNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The wire format of the submit stream, for producers that are not Hangar: each field of an entry
 * is one top-level property of the JobSpec JSON, named as in the JSON. Text properties come as
 * plain text, numbers as decimal text, structured ones as JSON, e.g.
 * {@code XADD {hangar}:submit * command '["echo","hi"]' image busybox priority 7}.
 */
final class WireFormat {
    /**
     * The JSON fields read with their numbers as written: read as doubles, 512.0000000000000001 became 512 and
     * was taken as a whole number, where the API refuses it.
     */
    private static final ObjectReader EXACT_NUMBERS = Json.mapper().reader()
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /**
     * The most bytes an entry may hold, its field names and values together: what a submit to the API may
     * be. A larger one is set aside unread, as it would take a server's memory to read.
     */
    static final int MAX_ENTRY_BYTES = 4 * 1024 * 1024;
    private static final Set<String> TEXT = Set.of("name", "stdin", "image", "runtime", "idempotencyKey", "tenant");
    private static final Set<String> NUMBERS = Set.of("timeoutSeconds", "priority");
    private static final String NOT_A_PROPERTY = "is not a property of a job spec";
    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?[0-9]+");

    /**
     * A structured property: the shape its JSON must have, and how to say so. Only the outer shape:
     * an item that is wrong (a null in command) is named by the spec's reader, as the API names it.
     */
    private record Shape(Predicate<JsonNode> fits, String expected) {}

    private static final Shape OBJECT = new Shape(JsonNode::isObject, "must be a JSON object");
    private static final Map<String, Shape> STRUCTURED = Map.of(
            "command", new Shape(JsonNode::isArray, "must be a JSON array of strings"),
            "env", new Shape(JsonNode::isObject, "must be a JSON object of strings"),
            "profile", OBJECT,
            "resources", OBJECT,
            "retry", OBJECT,
            "mounts", new Shape(node -> node.isArray(), "must be a JSON array of objects"),
            "nodeSelector", new Shape(JsonNode::isObject, "must be a JSON object of strings"));

    private WireFormat() {}

    /**
     * An entry's fields as text, refusing what text would change: a field named twice (Redis keeps
     * both; a map would keep one) and bytes that are not UTF-8 (they would reach the job as U+FFFD).
     */
    static Map<String, String> fields(Map<byte[], byte[]> body) {
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        List<FieldError> errors = new ArrayList<>();
        body.forEach((rawName, rawValue) -> {
            String name = Replies.text(rawName);
            String shownName = shorten(name);
            if (!isUtf8(rawName)) {
                errors.add(new FieldError(shownName, "the field's name is not valid UTF-8"));
            } else if (!isUtf8(rawValue)) {
                errors.add(new FieldError(shownName, "is not valid UTF-8 text"));
            }
            if (fields.put(name, Replies.text(rawValue)) != null) {
                errors.add(new FieldError(shownName, "is given more than once; give each field once"));
            }
        });
        if (!errors.isEmpty()) {
            throw new InvalidSpecException(errors);
        }
        return fields;
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /** The spec the entry describes; throws naming every field that is wrong (not yet validated). */
    static JobSpec parse(Map<String, String> entry) {
        ObjectNode json = Json.mapper().createObjectNode();
        List<FieldError> errors = new ArrayList<>();
        if (entry.isEmpty()) {
            errors.add(new FieldError("entry", "has no fields; give at least command"));
        }
        entry.forEach((name, value) -> {
            if (TEXT.contains(name)) {
                json.put(name, value);
            } else if (NUMBERS.contains(name)) {
                if (!WHOLE_NUMBER.matcher(value).matches()) {
                    errors.add(new FieldError(name, "must be a whole number in decimal, got '" + shorten(value) + "'"));
                } else if (!fitsAnInt(value)) {
                    // the words the REST API uses for a number past its type
                    errors.add(new FieldError(name, "is out of range: must be a whole number of at most "
                            + Integer.MAX_VALUE + ", got '" + shorten(value) + "'"));
                } else {
                    json.put(name, Integer.parseInt(value));
                }
            } else if (STRUCTURED.containsKey(name)) {
                Shape shape = STRUCTURED.get(name);
                JsonNode node;
                try {
                    node = EXACT_NUMBERS.readTree(value);
                } catch (JsonProcessingException e) {
                    errors.add(JsonFieldNames.duplicate(e)
                            .map(inner -> new FieldError(name + (inner.startsWith("[") ? "" : ".") + inner,
                                    "is given more than once; give each field once"))
                            .orElseGet(() -> new FieldError(name, shape.expected() + ", got '" + shorten(value)
                                    + "' (not valid JSON: " + shorten(Json.plainMessage(e.getOriginalMessage())) + ")")));
                    return;
                }
                if (node != null && node.isNull()) {
                    return; // as the REST API takes a null: not given, so the default
                }
                if (node == null || !shape.fits().test(node)) {
                    errors.add(new FieldError(name, shape.expected() + ", got '" + shorten(value) + "'"));
                } else {
                    json.set(name, node);
                }
            } else {
                // the known names once, not once for each unknown field
                boolean first = errors.stream().noneMatch(error -> error.reason().startsWith(NOT_A_PROPERTY));
                errors.add(new FieldError(shorten(name), NOT_A_PROPERTY + (first ? "; known: " + known() : "")));
            }
        });
        if (!errors.isEmpty()) {
            throw new InvalidSpecException(errors);
        }
        try {
            return Json.mapper().treeToValue(json, JobSpec.class);
        } catch (JsonMappingException e) {
            throw new InvalidSpecException(JsonFieldNames.path(e, "entry"), reason(e));
        } catch (JsonProcessingException e) {
            throw new InvalidSpecException("entry", e.getOriginalMessage());
        }
    }

    /** Why Jackson refused a value, in the words the REST API uses for the same mistake. */
    private static String reason(JsonMappingException e) {
        return switch (e) {
            case UnrecognizedPropertyException unknown -> "is not a known property";
            case InvalidNullException nullValue -> "must not be null";
            case InvalidFormatException format -> "must be " + expected(format.getTargetType()) + ", got '"
                    + shorten(String.valueOf(format.getValue())) + "'";
            case MismatchedInputException mismatch -> "has the wrong type: must be " + expected(mismatch.getTargetType());
            default -> e.getCause() != null && e.getCause().getMessage() != null
                    ? "is not valid: " + Json.plainMessage(e.getCause().getMessage())
                    : Json.plainMessage(e.getOriginalMessage());
        };
    }

    private static String known() {
        Set<String> all = new TreeSet<>(TEXT);
        all.addAll(NUMBERS);
        all.addAll(STRUCTURED.keySet());
        return all.stream().collect(Collectors.joining(", "));
    }

    private static boolean fitsAnInt(String digits) {
        // why the length first: a producer may send a megabyte of digits
        return digits.length() <= 20 && new java.math.BigInteger(digits).bitLength() < Integer.SIZE;
    }

    private static String shorten(String value) {
        return value.length() > 60 ? value.substring(0, 60) + "..." : value;
    }
}
