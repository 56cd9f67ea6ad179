package dev.hangar.server;

import dev.hangar.core.job.FieldError;
import io.javalin.http.Context;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;

/**
 * A server without tokens answers a request that came to it over loopback only if the request names
 * it by a loopback name or this machine's own. Else a web page could reach it through DNS
 * rebinding: it points a name of its own at 127.0.0.1, so the browser takes the server for the
 * page's own origin and lets the page read its answers (every job's spec, environment and output)
 * and submit jobs. The {@code Host} header is the page's name then, which is none of the server's.
 * (A request from another machine names the server as that machine knows it: a server without
 * tokens open to the network is open to that network anyway.)
 */
final class LoopbackHostCheck {
    private final boolean active;
    private final java.util.Set<String> ownNames;

    /** Checks requests only on a server without tokens: one with tokens needs a token no page can send. */
    LoopbackHostCheck(boolean tokens) {
        this.active = !tokens;
        this.ownNames = active ? ownNames() : java.util.Set.of();
    }

    void check(Context ctx) {
        if (!active || !cameOverLoopback(ctx)) {
            return;
        }
        String host = ctx.header("Host");
        String name = host == null ? null : hostName(host);
        if (name != null && !isLoopbackName(name) && !ownNames.contains(name)) {
            String reason = "'" + host + "' is not a name of this server: a server without API tokens answers a"
                    + " request over loopback only to localhost, 127.0.0.1, [::1] or this machine's name, so that no web"
                    + " page can reach it under a name of its own";
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

    private static boolean cameOverLoopback(Context ctx) {
        try {
            return InetAddress.getByName(ctx.req().getLocalAddr()).isLoopbackAddress();
        } catch (java.net.UnknownHostException | RuntimeException e) {
            return true; // unknown: checked, as the stricter case
        }
    }

    /** This machine's name (its own /etc/hosts resolves it, not a page's DNS). */
    private static java.util.Set<String> ownNames() {
        try {
            return java.util.Set.of(InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT));
        } catch (java.net.UnknownHostException e) {
            return java.util.Set.of();
        }
    }
}
