package dev.hangar.server;

import dev.hangar.core.job.FieldError;
import io.javalin.http.Context;
import java.net.InetAddress;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A server without tokens answers a request only if it names the server by a name of its own: a loopback
 * name, an address, this machine's name, or one the operator allowed ({@code --allowed-host}). Else a web
 * page could reach it through DNS rebinding: it points a name of its own at the server's address (127.0.0.1,
 * or the address on a network the browser's host is on), so the browser takes the server for the page's own
 * origin and lets the page read its answers (every job's spec, environment and output) and submit jobs. The
 * {@code Host} header is the page's name then, which is none of the server's. A server with tokens needs a
 * token no page can send, and takes any name.
 */
public final class HostNameCheck {
    /** A name as {@code --allowed-host} takes it: a DNS name, or one with a leading dot for all names below it. */
    private static final Pattern ALLOWED = Pattern.compile("\\.?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\\.?");

    private final boolean active;
    private final Set<String> ownNames;
    private final List<String> allowed;

    /**
     * @param tokens  whether the server needs tokens: then nothing is checked
     * @param allowed more names of the server (a leading dot: every name below it), as its users reach it
     */
    HostNameCheck(boolean tokens, Collection<String> allowed) {
        this.active = !tokens;
        this.ownNames = active ? ownNames() : Set.of();
        this.allowed = allowed.stream().map(HostNameCheck::allowedName).toList();
    }

    /** The name as it is matched, or an IllegalArgumentException naming --allowed-host and why. */
    public static String allowedName(String name) {
        String lower = name.strip().toLowerCase(Locale.ROOT);
        if (!ALLOWED.matcher(lower).matches()) {
            throw new IllegalArgumentException("--allowed-host: '" + name + "' is not a host name (letters, digits, '-',"
                    + " '_' and dots; a leading dot for every name below it, such as .example.com; no port)");
        }
        return withoutTrailingDot(lower);
    }

    void check(Context ctx) {
        if (!active) {
            return;
        }
        String host = ctx.header("Host");
        String name = host == null ? null : withoutTrailingDot(hostName(host));
        if (name != null && !isLoopbackName(name) && !isAddress(name) && !ownNames.contains(name) && !isAllowed(name)) {
            String reason = "'" + host + "' is not a name of this server: a server without API tokens answers only to"
                    + " localhost, its addresses, this machine's name" + (ownNames.isEmpty() ? "" : " ("
                    + String.join(", ", ownNames.stream().sorted().toList()) + ")") + " and names given with"
                    + " --allowed-host, so that no web page can reach it under a name of its own; if '" + name + "' is a"
                    + " name of this server, start it with --allowed-host " + name;
            throw new ApiException(403, "Forbidden", "Host: " + reason, List.of(new FieldError("Host", reason)));
        }
    }

    private boolean isAllowed(String name) {
        return allowed.stream().anyMatch(given -> given.startsWith(".") ? name.endsWith(given) : name.equals(given));
    }

    /** A fully qualified name's root dot, which names the same host: gpu-7.corp. is gpu-7.corp. */
    private static String withoutTrailingDot(String name) {
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
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
        if (name.equals("localhost") || name.endsWith(".localhost")) {
            return true;
        }
        return isAddress(name) && parsed(name).isLoopbackAddress();
    }

    /**
     * A literal IPv4 or IPv6 address: a page can be given one only as its own origin, so a request naming one came
     * from a page of that address, which is the server itself; DNS rebinding needs a name.
     */
    static boolean isAddress(String name) {
        return (IPV4.matcher(name).matches() || name.matches("[0-9a-f:.]*:[0-9a-f:.]*")) && parsed(name) != null;
    }

    /**
     * An IPv4 address as a browser writes it in Host (four parts; it rewrites 127.1 or 2130706433 so): only such a
     * string, or one with a colon (IPv6), is taken by {@link InetAddress#getByName} without a DNS lookup.
     */
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
            + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private static InetAddress parsed(String address) {
        try {
            return InetAddress.getByName(address); // a literal address: parsed, not looked up
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /** This machine's names (its own resolver gives them, not a page's DNS). */
    private static Set<String> ownNames() {
        var names = new HashSet<String>();
        try {
            InetAddress local = InetAddress.getLocalHost();
            names.add(local.getHostName().toLowerCase(Locale.ROOT));
            names.add(local.getCanonicalHostName().toLowerCase(Locale.ROOT));
        } catch (java.net.UnknownHostException e) {
            // none known: the others still serve
        }
        names.removeIf(HostNameCheck::isAddress); // a canonical name that is only the address again
        return Set.copyOf(names);
    }
}
