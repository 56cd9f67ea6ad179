package dev.hangar.client;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An answer awaited for a bounded time: a stream's headers (its body then lasts as long as it runs), or a call's whole
 * answer when its body is read into memory. A host that took the connection and went quiet would otherwise hold its
 * caller for ever. Why not the request's own timeout: until JDK 26 it ends at the headers, and from JDK 26 on it
 * bounds the reading of a stream's body too.
 */
final class HeadersWithin {
    private HeadersWithin() {}

    /** The answer, or {@link HangarUnreachableException} if the server cannot be reached or sends no headers within. */
    static HttpResponse<InputStream> answer(HttpClient http, HttpRequest request, URI server, Duration within) {
        return answer(http, request, server, within, HttpResponse.BodyHandlers.ofInputStream());
    }

    /**
     * The answer as {@code handler} makes it, within {@code within}: its headers for a stream's handler, the whole
     * answer for one that reads the body ({@code ofByteArray}, {@code discarding}).
     */
    static <T> HttpResponse<T> answer(HttpClient http, HttpRequest request, URI server, Duration within,
            HttpResponse.BodyHandler<T> handler) {
        var answer = http.sendAsync(request, handler);
        String call = request.method() + " " + request.uri().getRawPath();
        try {
            return answer.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw HangarUnreachableException.timedOut(server, call, within, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException wrapped && wrapped.getCause() != null
                    ? wrapped.getCause() : e.getCause();
            if (cause instanceof HttpTimeoutException timeout && !(cause instanceof HttpConnectTimeoutException)) {
                throw HangarUnreachableException.timedOut(server, call, within, timeout); // the request's own timeout
            }
            throw new HangarUnreachableException(server, cause == null ? e : cause);
        } catch (InterruptedException e) {
            answer.cancel(true);
            throw HangarUnreachableException.interrupted(server, call, e);
        }
    }
}
