package dev.hangar.server;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a request's query string before a route reads it: a parameter the route does not know, one
 * given twice, or one whose percent-encoding is broken is refused, naming it. Jetty drops a
 * parameter it cannot decode, and a dropped filter would answer as if none had been asked for.
 */
final class QueryParams {
    private QueryParams() {}

    /**
     * The handler of a route that takes no query parameter, refusing any: a parameter meant for the
     * body (say {@code ?idempotencyKey=}) would otherwise be dropped without a word.
     */
    static Handler none(Handler route) {
        return ctx -> {
            only(ctx, List.of());
            route.handle(ctx);
        };
    }

    static void only(Context ctx, List<String> known) {
        String query = ctx.queryString();
        if (query == null || query.isEmpty()) {
            return;
        }
        Set<String> seen = new HashSet<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decoded("query parameter", eq < 0 ? pair : pair.substring(0, eq));
            if (name.equals(TokenCheck.QUERY_PARAM)) {
                continue; // the token, which TokenCheck took
            }
            if (!known.contains(name)) {
                throw ApiException.badField(name, known.isEmpty() ? "unknown query parameter; this request takes none"
                        : "unknown query parameter; known: " + String.join(", ", known));
            }
            if (!seen.add(name)) {
                throw ApiException.badField(name, "is given more than once");
            }
            if (eq >= 0) {
                decoded(name, pair.substring(eq + 1));
            }
        }
    }

    /**
     * A parameter's value, or null when it is absent or empty: as the filters ({@code state=},
     * {@code types=}) take an empty value for "not given", so does every parameter.
     */
    static String value(Context ctx, String name) {
        String raw = first(ctx, name);
        return raw == null || raw.isBlank() ? null : raw;
    }

    /** A parameter's value as given (null when absent), the first if it is given more than once. */
    static String first(Context ctx, String name) {
        List<String> values = all(ctx, name);
        return values.isEmpty() ? null : values.getFirst();
    }

    /**
     * Each value of a parameter, decoded as UTF-8 as URLs are. Not the servlet's: it decodes the query in the charset
     * of the request's Content-Type, and one it does not know ({@code charset="utf-8"}, quoted as RFC 9110 allows)
     * made it drop every parameter, so that a filtered list answered as if unfiltered.
     */
    static List<String> all(Context ctx, String name) {
        String query = ctx.queryString();
        if (query == null || query.isEmpty()) {
            return List.of();
        }
        List<String> values = new java.util.ArrayList<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (!pair.isEmpty() && decoded("query parameter", eq < 0 ? pair : pair.substring(0, eq)).equals(name)) {
                values.add(eq < 0 ? "" : decoded(name, pair.substring(eq + 1)));
            }
        }
        return values;
    }

    private static String decoded(String field, String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, "is not valid percent-encoding: '" + raw + "'");
        }
    }
}
