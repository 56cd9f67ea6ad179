package dev.hangar.core.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.UncheckedIOException;

/**
 * The one JSON configuration of Hangar: strict on input (unknown fields, wrong types, a number
 * where text or an enum's name belongs or a fraction where a whole number does, a null inside a list or map, a field
 * given twice: errors, never ignored or quietly converted), ISO-8601 instants on output.
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            // why: an enum's index is no name of it ("trust": 1 would read as UNTRUSTED)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .defaultSetterInfo(JsonSetter.Value.forContentNulls(Nulls.FAIL))
            // why: Jackson turns 1 into "1" even with scalar coercion off
            .withCoercionConfig(LogicalType.Textual, text -> text.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .addModule(new SimpleModule("strict-numbers").addDeserializer(Double.class, new NumberOnlyDouble())
                    .addDeserializer(Integer.class, WholeNumber.integers()).addDeserializer(Long.class, WholeNumber.longs()))
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private static final ObjectReader LENIENT = MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private Json() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** The value as a JSON object with one more text field (a view's addition to a record), or as it is if {@code text} is null. */
    public static com.fasterxml.jackson.databind.node.ObjectNode treeWith(Object value, String field, String text) {
        com.fasterxml.jackson.databind.node.ObjectNode tree = MAPPER.valueToTree(value);
        return text == null ? tree : tree.put(field, text);
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T> T read(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A reader for JSON that Hangar itself wrote earlier or elsewhere (a stored job, a server's
     * answer, a heartbeat), unlike input: a field another version adds, or one it lacks, is no
     * reason to fail, where one unreadable stored job would stop a whole queue.
     */
    public static ObjectReader lenient() {
        return LENIENT;
    }

    /** {@code json} as Hangar stored it (see {@link #lenient()}). */
    public static <T> T readStored(String json, Class<T> type) {
        try {
            return LENIENT.forType(type).readValue(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What a JSON library's message says is wrong, for a user: its first line ("invalid" for none),
     * with a source note "[Source: ...; line: 1, column: 13]" as "line 1, column 13", and without
     * the library's advice about its own settings ("enable `JsonReadFeature...` to allow"), which a
     * user of the API cannot act on.
     */
    public static String plainMessage(String message) {
        if (message == null) {
            return "invalid";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        return line.replaceAll("\\[Source: .*?; line: (\\d+), column: (\\d+)\\]", "line $1, column $2")
                .replaceAll(":? ?\\(?enable `[^`]*` to allow\\)?", "")
                .replaceAll(" ?\\(not recognized as one since Feature '[A-Z_]+' not enabled for parser\\)", "");
    }
}
