package dev.hangar.server;

import dev.hangar.core.job.FieldError;
import io.javalin.http.Context;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;

/**
 * A server without tokens on a loopback address answers only requests that name it by a loopback
 * name. Else a web page could reach it through DNS rebinding: it points a name of its own at
 * 127.0.0.1, so the browser takes the server for the page's own origin and lets the page read its
 * answers (every job's spec, environment and output) and submit jobs. The {@code Host} header is
 * the page's name then, which no loopback server has.
 */
final class LoopbackHostCheck {
    private volatile boolean active;

    /** Checks requests from now on if the server listens on {@code host}, a loopback address, without tokens. */
    void serving(String host, boolean tokens) {
        active = !tokens && isLoopback(host);
    }

    void check(Context ctx) {
        if (!active) {
            return;
        }
        String host = ctx.header("Host");
        if (host != null && !isLoopbackName(hostName(host))) {
            String reason = "'" + host + "' is not a name of this server: a server without API tokens on a loopback"
                    + " address answers to localhost, 127.0.0.1 or [::1] alone, so that no web page can reach it under a"
                    + " name of its own";
            throw new ApiException(403, "Forbidden", "Host: " + reason, List.of(new FieldError("Host", reason)));
        }
    }

    /** The name of a Host header: without its port, and an IPv6 address without its brackets. */
    static String hostName(String header) {
        String host = header.strip().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(1, end);
        }
        int colon = host.lastIndexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    /** localhost and its subdomains (which browsers resolve to loopback themselves), and loopback addresses. */
    static boolean isLoopbackName(String name) {
        if (name.equals("localhost") || name.endsWith(".localhost") || name.equals("localhost.")) {
            return true;
        }
        if (!name.matches("[0-9.]+|[0-9a-f:.]*:[0-9a-f:.]*")) {
            return false; // a DNS name: not looked up, as the page's own name would resolve to 127.0.0.1 too
        }
        try {
            return InetAddress.getByName(name).isLoopbackAddress(); // a literal address: parsed, not looked up
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
