package dev.hangar.core.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * An Integer or Long read as JSON Schema reads an integer: {@code 512}, {@code 512.0} and
 * {@code 5.12e2} alike (a client that computes in floating point writes the second), while
 * {@code 512.5} is refused, never cut to 512. Anything but a number is refused as the wrong type.
 */
final class WholeNumber<T extends Number> extends StdScalarDeserializer<T> {
    /** More digits than any long has. */
    private static final int MOST_DIGITS = 19;

    private final BigInteger least;
    private final BigInteger most;
    private final java.util.function.Function<BigInteger, T> exact;
    /** How the parser reads a JSON integer as this type: one out of range fails as Jackson fails it, named alike. */
    private final IntegerRead<T> integer;

    private interface IntegerRead<T> {
        T read(JsonParser parser) throws IOException;
    }

    private WholeNumber(Class<T> type, long least, long most, java.util.function.Function<BigInteger, T> exact,
            IntegerRead<T> integer) {
        super(type);
        this.least = BigInteger.valueOf(least);
        this.most = BigInteger.valueOf(most);
        this.exact = exact;
        this.integer = integer;
    }

    static WholeNumber<Integer> integers() {
        return new WholeNumber<>(Integer.class, Integer.MIN_VALUE, Integer.MAX_VALUE, BigInteger::intValueExact,
                JsonParser::getIntValue);
    }

    static WholeNumber<Long> longs() {
        return new WholeNumber<>(Long.class, Long.MIN_VALUE, Long.MAX_VALUE, BigInteger::longValueExact, JsonParser::getLongValue);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_NUMBER_INT) {
            return integer.read(parser);
        }
        if (token != JsonToken.VALUE_NUMBER_FLOAT) {
            return (T) context.handleUnexpectedToken(handledType(), parser);
        }
        BigDecimal value;
        try {
            value = parser.getDecimalValue().stripTrailingZeros();
        } catch (NumberFormatException | ArithmeticException beyondAnyScale) {
            throw outOfRange(parser); // an exponent past what a BigDecimal holds: 1e2147483648
        }
        if (value.scale() > 0) {
            throw InvalidFormatException.from(parser, "not a whole number", parser.getText(), handledType());
        }
        // why the digits first, in a long: 1e100000000 is a short text whose whole number would take the JVM
        // minutes to make, and 1e2147483647 has more digits than an int counts
        if ((long) value.precision() - value.scale() > MOST_DIGITS) {
            throw outOfRange(parser);
        }
        BigInteger whole = value.toBigIntegerExact();
        if (whole.compareTo(least) < 0 || whole.compareTo(most) > 0) {
            throw outOfRange(parser);
        }
        return exact.apply(whole);
    }

    private InputCoercionException outOfRange(JsonParser parser) throws IOException {
        return new InputCoercionException(parser, "Numeric value (" + parser.getText() + ") out of range",
                JsonToken.VALUE_NUMBER_FLOAT, handledType());
    }
}
