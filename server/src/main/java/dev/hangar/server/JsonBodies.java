package dev.hangar.server;

import static dev.hangar.core.json.JsonFieldNames.expected;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.json.Json;
import dev.hangar.core.json.JsonFieldNames;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads request bodies strictly, turning every Jackson complaint into a named field and a reason
 * in the API's words: what the field must be, never a Java type or a Jackson setting.
 */
final class JsonBodies {
    private static final Pattern CHARSET = Pattern.compile("(?i);\\s*charset\\s*=\\s*\"?([^;\"\\s]+)");

    private JsonBodies() {}

    /**
     * The body of a request that must carry JSON, read no further than {@code maxBytes} (a chunked
     * body has no length to check first). Its Content-Type must say JSON: a web page may send a
     * form or text/plain to a node on this host without asking first, but not JSON.
     */
    static byte[] body(Context ctx, int maxBytes) throws IOException {
        String type = ctx.header("Content-Type");
        String media = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json") && !(media.startsWith("application/") && media.endsWith("+json"))) {
            throw unsupported("must be application/json, got " + (type == null ? "none" : "'" + type + "'"));
        }
        var charset = CHARSET.matcher(type);
        if (charset.find() && !charset.group(1).equalsIgnoreCase("utf-8")) {
            // why: JSON is UTF-8 (RFC 8259); another charset's bytes would be read wrongly or refused as bad UTF-8
            throw unsupported("the body must be UTF-8 JSON, got charset=" + charset.group(1));
        }
        String encoding = ctx.header("Content-Encoding");
        if (encoding != null && !encoding.isBlank() && !encoding.strip().equalsIgnoreCase("identity")) {
            // why refused: the bytes would be read as JSON and blamed on the body as malformed
            throw new ApiException(415, "Unsupported media type", "Content-Encoding: '" + encoding + "' is not taken; send the"
                    + " JSON as it is", List.of(new FieldError("Content-Encoding", "'" + encoding + "' is not taken; send the JSON as it is")));
        }
        if (ctx.contentLength() > maxBytes) {
            throw tooLarge(maxBytes);
        }
        // a chunked body says no length: it may take up to the most
        int room = ctx.contentLength() >= 0 ? (int) ctx.contentLength() + 1 : maxBytes + 1;
        byte[] body;
        try (var taken = InFlight.take(room, InFlight.WAIT).orElseThrow(() -> busy(ctx))) {
            body = ctx.req().getInputStream().readNBytes(maxBytes + 1);
        } catch (IOException e) {
            // a body cut short (the client closed early) or stalled past the idle timeout: the client's
            // doing, answered as such rather than as the server's failure
            throw ApiException.badField("body", "could not be read whole: " + cutShort(e));
        }
        if (body.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        checkUtf8(body);
        return body;
    }

    /**
     * Refuses bytes that are not UTF-8 as the standard has it. Jackson's reader decodes overlong
     * forms (C0 AE is '.') and encoded surrogates, so "\xC0\xAE\xC0\xAE/" would pass a check for
     * ".." and arrive as one.
     */
    private static void checkUtf8(byte[] body) {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.wrap(body);
        CharBuffer chars = CharBuffer.allocate(8192);
        while (true) {
            CoderResult result = decoder.decode(bytes, chars, true);
            if (result.isError()) {
                throw ApiException.badField("body", "is not valid UTF-8: " + result.length() + " byte(s) at byte offset "
                        + bytes.position() + " form no character (JSON is UTF-8, RFC 8259)");
            }
            if (result.isUnderflow()) {
                return;
            }
            chars.clear(); // the characters are not kept: this only checks
        }
    }

    /**
     * The bytes of the bodies being read now, at most {@link #MOST} in all: requests run on virtual
     * threads, which nothing else counts, and each holds its body whole while it is read.
     */
    static final class InFlight implements AutoCloseable {
        static final int MOST = 64 * 1024 * 1024;
        static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);
        private static final java.util.concurrent.Semaphore ROOM = new java.util.concurrent.Semaphore(MOST);
        private final int bytes;

        private InFlight(int bytes) {
            this.bytes = bytes;
        }

        /** Room for a body of {@code bytes}, waited for up to {@code wait}; empty if none came. */
        static Optional<InFlight> take(int bytes, java.time.Duration wait) {
            try {
                if (ROOM.tryAcquire(bytes, wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    return Optional.of(new InFlight(bytes));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Optional.empty();
        }

        @Override
        public void close() {
            ROOM.release(bytes);
        }
    }

    private static ApiException busy(Context ctx) {
        ctx.header("Retry-After", "1");
        return new ApiException(503, "Busy", "the server is reading " + InFlight.MOST / (1024 * 1024) + " MiB of request"
                + " bodies already; send it again shortly", List.of());
    }

    /** Why a body stopped short, in the client's terms rather than the server's exception. */
    private static String cutShort(IOException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.util.concurrent.TimeoutException) {
                return "the client sent less than it said (Content-Length) and then nothing for the server's idle timeout";
            }
            if (cause instanceof java.io.EOFException) {
                return "the client ended it before the length it said (Content-Length)";
            }
        }
        return e.getMessage();
    }

    private static ApiException tooLarge(int maxBytes) {
        String reason = "is larger than " + maxBytes + " bytes";
        return new ApiException(413, "Payload too large", "body: " + reason, List.of(new FieldError("body", reason)));
    }

    static <T> T read(byte[] body, Class<T> type) {
        if (body.length == 0) {
            throw ApiException.badField("body", "is empty; a JSON object is required");
        }
        JsonParser parser;
        try {
            parser = Json.mapper().createParser(body);
        } catch (IOException e) {
            throw ApiException.badField("body", "could not be read: " + e.getMessage());
        }
        try (parser) {
            T value = Json.mapper().readValue(parser, type);
            if (value == null) {
                throw ApiException.badField("body", "is null; a JSON object is required");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badField(field(e), "unknown field; known fields: " + e.getKnownPropertyIds());
        } catch (InvalidNullException e) {
            throw ApiException.badField(field(e), "must not be null");
        } catch (InvalidFormatException e) {
            throw ApiException.badField(field(e), "must be " + expected(e.getTargetType()) + ", got '" + e.getValue()
                    + "'");
        } catch (MismatchedInputException e) {
            if (String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")) {
                throw ApiException.badField("body", "holds more than one JSON value; one object is required");
            }
            throw ApiException.badField(field(e), "has the wrong type: must be " + expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof InputCoercionException range) {
                throw ApiException.badField(field(e), "is out of range: must be " + expected(range.getTargetType())
                        + " " + range(range.getTargetType()));
            }
            if (e.getCause() instanceof StreamConstraintsException limit) {
                throw tooLarge(field(e), limit);
            }
            // why: a syntax error inside a value comes wrapped with the path it was read at; it is
            // still the body that is broken, not that field
            if (e.getCause() instanceof JsonProcessingException syntax) {
                throw malformed(syntax);
            }
            // a value the type refused as it was made (its constructor threw): its own words
            Throwable cause = e.getCause();
            throw ApiException.badField(field(e), cause != null && cause.getMessage() != null
                    ? "is not valid: " + Json.plainMessage(cause.getMessage()) : Json.plainMessage(e.getOriginalMessage()));
        } catch (StreamConstraintsException e) {
            // thrown while a token is read, before any field takes it: the parser knows where it was
            throw tooLarge(JsonFieldNames.path(parser.getParsingContext().pathAsPointer(), "body"), e);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw ApiException.badField("body", "could not be read: " + e.getMessage());
        }
    }

    /**
     * A value past a reader limit, named by where the reader was; a field name past it names the
     * body, as the reader is then still at the field before it, which is not at fault.
     */
    private static ApiException tooLarge(String field, StreamConstraintsException limit) {
        String message = withoutSetting(limit.getOriginalMessage());
        if (message.startsWith("Name length")) {
            return ApiException.badField("body", "holds a field name too long to be any field's: " + message);
        }
        return ApiException.badField(field, "is too large: " + message);
    }

    /** What a whole number of this type may be; either end, as a value past the least is past it too. */
    private static String range(Class<?> type) {
        return type == Integer.class || type == int.class ? "between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE
                : "between " + Long.MIN_VALUE + " and " + Long.MAX_VALUE;
    }

    /** A limit's message without the name of the reader setting that holds it. */
    private static String withoutSetting(String message) {
        return Json.plainMessage(message).replaceAll(",?\\s*from\\s*`[^`]*`", "");
    }

    /** The field at fault, e.g. {@code resources.memoryMb}; {@code body} for the whole. */
    private static String field(JsonMappingException e) {
        return JsonFieldNames.path(e, "body");
    }

    private static ApiException unsupported(String reason) {
        return new ApiException(415, "Unsupported media type", "Content-Type: " + reason,
                List.of(new FieldError("Content-Type", reason)));
    }

    private static ApiException malformed(JsonProcessingException e) {
        Optional<String> duplicate = JsonFieldNames.duplicate(e);
        if (duplicate.isPresent()) {
            return ApiException.badField(duplicate.get(), "is given more than once; give each field once");
        }
        var at = e.getLocation();
        return ApiException.badField("body", "malformed JSON" + (at == null ? "" : " at line " + at.getLineNr()
                + ", column " + at.getColumnNr()) + ": " + Json.plainMessage(e.getOriginalMessage()));
    }


}
