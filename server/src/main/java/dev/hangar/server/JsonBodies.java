package dev.hangar.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.hangar.core.json.Json;
import java.io.IOException;
import java.util.List;

/** Reads request bodies strictly, turning every Jackson complaint into a named field and a reason. */
final class JsonBodies {
    private JsonBodies() {}

    static <T> T read(byte[] body, Class<T> type) {
        if (body.length == 0) {
            throw ApiException.badField("body", "is empty; a JSON object is required");
        }
        try {
            T value = Json.mapper().readValue(body, type);
            if (value == null) {
                throw ApiException.badField("body", "is null; a JSON object is required");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badField(path(e), "unknown field; known fields: " + e.getKnownPropertyIds());
        } catch (MismatchedInputException e) {
            throw ApiException.badField(path(e), "has the wrong type: " + firstLine(e.getOriginalMessage()));
        } catch (JsonMappingException e) {
            // why: a syntax error inside a value comes wrapped with the path it was read at; it is
            // still the body that is broken, not that field
            if (e.getCause() instanceof JsonProcessingException syntax) {
                throw malformed(syntax);
            }
            throw ApiException.badField(path(e), firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw ApiException.badField("body", "could not be read: " + e.getMessage());
        }
    }

    private static ApiException malformed(JsonProcessingException e) {
        var at = e.getLocation();
        return ApiException.badField("body", "malformed JSON" + (at == null ? "" : " at line " + at.getLineNr()
                + ", column " + at.getColumnNr()) + ": " + firstLine(e.getOriginalMessage()));
    }

    /** The JSON path of the failing field, e.g. {@code resources.memoryMb} or {@code command[2]}. */
    static String path(JsonMappingException e) {
        var out = new StringBuilder();
        List<JsonMappingException.Reference> refs = e.getPath();
        for (JsonMappingException.Reference ref : refs) {
            if (ref.getFieldName() != null) {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.isEmpty() ? "body" : out.toString();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "invalid";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
