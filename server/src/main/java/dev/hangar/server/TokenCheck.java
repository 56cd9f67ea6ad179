package dev.hangar.server;

import dev.hangar.core.job.FieldError;
import dev.hangar.server.auth.Caller;
import dev.hangar.server.auth.TokenLookup;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Finds the caller of each API request from its token ({@code Authorization: Bearer TOKEN}), and
 * refuses one without a known token with 401. A GET may give the token as {@code ?access_token=}
 * instead, as a browser's EventSource cannot send headers. {@code /healthz}, {@code /readyz},
 * {@code /openapi.yaml} and the dashboard's files need none: they hold no tenant's data. Runs before each route that
 * matched, and goes by the route, not by the request's path: a path written another way
 * ({@code //v1/jobs}) that reaches a route is checked as that route.
 */
final class TokenCheck {
    static final String QUERY_PARAM = "access_token";
    private static final String ATTRIBUTE = "hangar.caller";
    private static final String STILL_VALID = "hangar.tokenStillValid";
    private static final String AUTHORIZATION = "Authorization";

    private final Optional<? extends TokenLookup> tokens;

    /** {@code tokens}: empty for a server without tokens, whose every caller is {@link Caller#ANYONE}. */
    TokenCheck(Optional<? extends TokenLookup> tokens) {
        this.tokens = tokens;
    }

    void check(Context ctx) {
        boolean api = needsToken(ctx);
        String inQuery = QueryParams.first(ctx, QUERY_PARAM);
        if (inQuery != null && ctx.method() != HandlerType.GET) {
            throw ApiException.badField(QUERY_PARAM, "only a GET may carry the token in its query; send it as the "
                    + AUTHORIZATION + " header");
        }
        if (tokens.isEmpty()) {
            ctx.attribute(ATTRIBUTE, Caller.ANYONE);
            return;
        }
        refuseAmbiguous(ctx, inQuery);
        if (!api) {
            // why look: /healthz tells an admin more; a health check without a token is not refused
            ctx.attribute(ATTRIBUTE, optionalToken(ctx, inQuery).flatMap(tokens.get()::caller).orElse(Caller.NOBODY));
            return;
        }
        Given given = token(ctx, inQuery);
        String token = given.token();
        Caller caller = tokens.get().caller(token).orElseThrow(() -> unauthorized(ctx, given.field(), "the token is not known here"));
        if (ctx.endpointHandlerPath().equals("/metrics") && !caller.admin()) {
            throw forbidden("the metrics count every tenant's jobs: they need an admin token");
        }
        ctx.attribute(ATTRIBUTE, caller);
        TokenLookup lookup = tokens.get();
        ctx.attribute(STILL_VALID, (BooleanSupplier) () -> lookup.caller(token).equals(Optional.of(caller)));
    }

    /**
     * Whether the token of this request still names the same caller: a stream that outlives a token
     * revoked from the tokens file asks it now and then, and ends. Always true on a server without tokens.
     */
    static BooleanSupplier stillValid(Context ctx) {
        BooleanSupplier check = ctx.attribute(STILL_VALID);
        return check == null ? () -> true : check;
    }

    /** Whether the route that matched (not the path as written) is one of the API's or /metrics. */
    private static boolean needsToken(Context ctx) {
        String route;
        try {
            route = ctx.endpointHandlerPath();
        } catch (RuntimeException e) {
            return false; // a static file of the dashboard: Javalin names no route for it
        }
        return isApi(route);
    }

    /** Whether a route, or a path with its slashes collapsed, is one of the API's or /metrics. */
    static boolean isApi(String route) {
        return route.startsWith("/v1/") || route.equals("/metrics");
    }

    /** A token given twice (two headers, two query parameters, or both ways) is refused, not one of them taken. */
    private static void refuseAmbiguous(Context ctx, String inQuery) {
        if (java.util.Collections.list(ctx.req().getHeaders(AUTHORIZATION)).size() > 1) {
            throw ApiException.badField(AUTHORIZATION, "is given more than once; give one token");
        }
        if (QueryParams.all(ctx, QUERY_PARAM).size() > 1) {
            throw ApiException.badField(QUERY_PARAM, "is given more than once; give one token");
        }
        if (inQuery != null && ctx.header(AUTHORIZATION) != null) {
            throw ApiException.badField(QUERY_PARAM, "the request has an " + AUTHORIZATION + " header too; give one token");
        }
    }

    /** A token as the request gave it, and where: the header or the query. */
    private record Given(String token, String field) {}

    private static Given token(Context ctx, String inQuery) {
        String header = ctx.header(AUTHORIZATION);
        if (header == null || header.isBlank()) {
            if (inQuery != null && !inQuery.isBlank()) {
                return new Given(inQuery, QUERY_PARAM);
            }
            throw unauthorized(ctx, "this server needs an API token: send it as '" + AUTHORIZATION + ": Bearer TOKEN'");
        }
        String[] parts = header.strip().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            throw unauthorized(ctx, "must be 'Bearer TOKEN'");
        }
        return new Given(parts[1].strip(), AUTHORIZATION);
    }

    private static Optional<String> optionalToken(Context ctx, String inQuery) {
        String header = ctx.header(AUTHORIZATION);
        if (header != null && header.strip().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(header.strip().substring(7).strip());
        }
        return Optional.ofNullable(inQuery);
    }

    /**
     * The caller of a request that passed the check: {@link Caller#ANYONE} on a server without
     * tokens. {@link Caller#NOBODY} for a request the check did not see (a route tested alone), so
     * that a missed check shows less, never more.
     */
    static Caller caller(Context ctx) {
        Caller caller = ctx.attribute(ATTRIBUTE);
        return caller == null ? Caller.NOBODY : caller;
    }

    /** A 403 for a caller that named a tenant not its own in {@code tenant}. */
    static ApiException otherTenant(Caller caller, String what) {
        String reason = "is not this token's tenant (" + caller.tenant() + ")";
        return new ApiException(403, "Forbidden", "tenant: " + reason + "; a token that is not an admin's " + what,
                List.of(new FieldError("tenant", reason)));
    }

    static ApiException forbidden(String reason) {
        return new ApiException(403, "Forbidden", reason, List.of());
    }

    /** Refuses a caller that is not an admin (anyone is, on a server without tokens), saying why it must be. */
    static void adminOnly(Context ctx, String why) {
        if (!caller(ctx).admin()) {
            throw forbidden(why);
        }
    }

    private static ApiException unauthorized(Context ctx, String reason) {
        return unauthorized(ctx, AUTHORIZATION, reason);
    }

    private static ApiException unauthorized(Context ctx, String field, String reason) {
        ctx.header("WWW-Authenticate", "Bearer realm=\"hangar\"");
        return new ApiException(401, "Unauthorized", field + ": " + reason, List.of(new FieldError(field, reason)));
    }
}
