package dev.hangar.cli;

import dev.hangar.client.HangarClient;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** Where the server is, and how to print: shared by every command that talks to a server. */
final class ClientOptions {
    // why no default here: whether a server on another host was named decides whether run and explain may fall
    // back to this one
    @Option(names = "--url", description = "Hangar server URL (default: $HANGAR_URL, else " + HangarClient.DEFAULT_URL + ")",
            defaultValue = "${env:HANGAR_URL}")
    URI url;

    @Option(names = "--json", description = "Print JSON for scripts instead of text")
    boolean json;

    // why not a value on the command line by default: it would show in the process list and shell history
    @Option(names = "--token", description = "API token of a server that needs one (default: $HANGAR_TOKEN)",
            defaultValue = "${env:HANGAR_TOKEN}")
    String token;

    /** The command these options are mixed into, whose parent may have been given them instead. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /**
     * These options, each taken from the parent command's where it was given there and not here: {@code hangar nodes
     * --url U drain N} means server U, as the options' place in the usage suggests.
     */
    ClientOptions withTheParents() {
        CommandSpec parent = mixee == null ? null : mixee.parent();
        CommandSpec above = parent == null ? null : parent.mixins().get("client");
        if (above == null || !(above.userObject() instanceof ClientOptions theirs)) {
            return this;
        }
        ParseResult mine = mixee.commandLine().getParseResult();
        ParseResult given = parent.commandLine().getParseResult();
        if (given.hasMatchedOption("--url") && !mine.hasMatchedOption("--url")) {
            url = theirs.url;
        }
        if (given.hasMatchedOption("--token") && !mine.hasMatchedOption("--token")) {
            token = theirs.token;
        }
        json |= theirs.json;
        return this;
    }

    /**
     * Whether a server on another host was named (--url or HANGAR_URL): a command that may otherwise
     * run on this host when no server answers must not do so then, as the job was meant for that one.
     * An address of this host (loopback, or one of its interfaces) names this host, where running
     * the job is what was asked.
     */
    boolean namesAnotherHost() {
        if (url == null || url.getHost() == null) {
            return false;
        }
        try {
            return !isThisMachine(InetAddress.getByName(url.getHost()));
        } catch (UnknownHostException e) {
            return true; // a name that does not resolve is not this host; the call then says so
        } catch (SocketException e) {
            return true; // the interfaces could not be read: taken as another host, which fails loudly
        }
    }

    /** Whether an address is one of this machine's: loopback, the wildcard, or one of its interfaces'. */
    static boolean isThisMachine(InetAddress address) throws SocketException {
        return address.isLoopbackAddress() || address.isAnyLocalAddress() || NetworkInterface.getByInetAddress(address) != null;
    }

    HangarClient client() {
        // why blank as unset: HANGAR_URL= (set empty, as a script clears it) means no server named
        URI url = this.url == null || this.url.toString().isBlank() ? URI.create(HangarClient.DEFAULT_URL) : this.url;
        String scheme = url.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) || url.getHost() == null) {
            throw new IllegalArgumentException("--url (or HANGAR_URL): must be an http:// or https:// address with a host,"
                    + " e.g. " + HangarClient.DEFAULT_URL + "; got '" + url + "'");
        }
        if (url.getPort() > 65535) {
            throw new IllegalArgumentException("--url (or HANGAR_URL): port " + url.getPort() + " is out of range (1-65535)");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new IllegalArgumentException("--url (or HANGAR_URL): must not have a query or fragment (the server's"
                    + " address alone, e.g. " + HangarClient.DEFAULT_URL + "); got '" + url + "'");
        }
        if (url.getPath() != null && url.getPath().matches("(?i).*/v1/?")) {
            // why: the client adds /v1/... itself; a path is kept only as a proxy's prefix
            throw new IllegalArgumentException("--url (or HANGAR_URL): give the server's address without /v1 (the"
                    + " commands add it), e.g. " + HangarClient.DEFAULT_URL + "; got '" + url + "'");
        }
        if (token != null && !token.isBlank() && !token.strip().chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            // why checked here, and the value not shown: the HTTP client's own refusal prints the whole header
            throw new IllegalArgumentException("--token (or HANGAR_TOKEN): holds a space, a line break or a character"
                    + " beyond ASCII, which no token has (was more than the token copied? 'hangar token' prints the token"
                    + " on a line 'token: ...'); its value is not shown here");
        }
        return new HangarClient(url, HangarClient.CALL_TIMEOUT, token);
    }
}
