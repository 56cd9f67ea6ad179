package dev.hangar.core.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import java.io.IOException;

/**
 * A Double read from a JSON number only: Jackson takes the strings "NaN" and "Infinity" as numbers
 * even with scalar coercion off, where it refuses "2" as the wrong type.
 */
final class NumberOnlyDouble extends StdScalarDeserializer<Double> {
    NumberOnlyDouble() {
        super(Double.class);
    }

    @Override
    public Double deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        if (parser.currentToken() != null && parser.currentToken().isNumeric()) {
            return parser.getDoubleValue();
        }
        return (Double) context.handleUnexpectedToken(Double.class, parser);
    }
}
