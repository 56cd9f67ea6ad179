package dev.hangar.cli;

import dev.hangar.server.HostNameCheck;
import dev.hangar.server.auth.TokensFile;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --tokens FILE}: the API tokens a server accepts, for the commands that run one. */
final class TokensOption {
    @Option(names = "--tokens", paramLabel = "FILE", description = "Accept only callers with an API token of this file"
            + " (lines 'TENANT TOKEN [admin]'; make them with 'hangar token'); each tenant sees only its own jobs."
            + " A change to the file is in force within a second."
            + " Default: $HANGAR_TOKENS_FILE, else no token is needed", defaultValue = "${env:HANGAR_TOKENS_FILE}")
    Path file;

    @Option(names = "--no-tokens", description = "Serve without API tokens on an address other machines reach: whoever"
            + " reaches it may run jobs and read every job's spec and output (a network all of whose users may)")
    boolean none;

    @Option(names = "--allowed-host", paramLabel = "NAME", split = ",", description = "Without tokens: another name"
            + " this server is reached by (a leading dot for every name below it: .example.com); it answers only to"
            + " localhost, its addresses, this machine's name and these, so that no web page can reach it under a name"
            + " of its own (DNS rebinding)")
    List<String> allowedHosts = new ArrayList<>();

    /**
     * The tokens of a server listening on {@code host} (checked as an address of this machine): one that
     * other machines reach needs them, unless --no-tokens says it does not; as Redis's protected mode, an
     * open server must be asked for.
     */
    Optional<TokensFile> readFor(String host) {
        if (file != null && file.toString().isBlank()) {
            // why refused, not taken as unset: a unit's environment file that lost its value must not open the server
            throw new IllegalArgumentException("--tokens (or HANGAR_TOKENS_FILE): is empty; name a tokens file, or unset"
                    + " HANGAR_TOKENS_FILE to serve without tokens");
        }
        allowedHosts.forEach(HostNameCheck::allowedName);
        if (!allowedHosts.isEmpty() && file != null) {
            // why refused: a server with tokens takes any name, so the option would do nothing
            throw new IllegalArgumentException("--allowed-host: only a server without tokens checks the names it is"
                    + " reached by; this one needs tokens (--tokens or HANGAR_TOKENS_FILE)");
        }
        if (none && file != null) {
            throw new IllegalArgumentException("--no-tokens: and --tokens (or HANGAR_TOKENS_FILE) " + file
                    + " is given too; give one of them");
        }
        if (file == null && !none && !loopback(host)) {
            throw new IllegalArgumentException("--host " + host + ": other machines reach a server there, so it needs API"
                    + " tokens (--tokens FILE, made with 'hangar token'); without, whoever reaches it runs jobs and reads"
                    + " every job's output. Give --no-tokens to serve so on a network all of whose users may");
        }
        return read();
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false; // told by the check of --host
        }
    }

    /**
     * The names a server on {@code host} answers to without tokens beside its own: those given, and {@code host} if
     * it is a name (the server's URL is said with it).
     */
    List<String> hostNamesFor(String host) {
        var names = new ArrayList<>(allowedHosts);
        if (!host.contains(":") && !host.matches("[0-9.]+")) {
            names.add(host);
        }
        return names;
    }

    /** The tokens, read now (a bad file stops the command before anything starts) and again as the file changes. */
    private Optional<TokensFile> read() {
        try {
            return file == null ? Optional.empty() : Optional.of(TokensFile.open(file, TokensFile.CHECK_EVERY));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--tokens (or HANGAR_TOKENS_FILE): " + e.getMessage(), e);
        }
    }
}
