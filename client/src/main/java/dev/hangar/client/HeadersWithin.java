package dev.hangar.client;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A stream's answer, its headers awaited for a bounded time (a host that took the connection and went quiet would
 * otherwise hold its caller for ever); the body then lasts as long as it runs. Why not the request's own timeout: from
 * JDK 26 on it bounds the reading of the body too.
 */
final class HeadersWithin {
    private HeadersWithin() {}

    /** The answer, or {@link HangarUnreachableException} if the server cannot be reached or sends no headers within. */
    static HttpResponse<InputStream> answer(HttpClient http, HttpRequest request, URI server, Duration within) {
        var answer = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        try {
            return answer.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw HangarUnreachableException.timedOut(server, request.method() + " " + request.uri().getRawPath(), within, e);
        } catch (ExecutionException e) {
            throw new HangarUnreachableException(server, e.getCause());
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new HangarUnreachableException(server, e);
        }
    }
}
