package dev.hangar.server.auth;

import java.util.Optional;

/** Finds who holds an API token: a set read once ({@link ApiTokens}) or a file read again as it changes ({@link TokensFile}). */
public interface TokenLookup {
    /** The caller whose token this is, if any. */
    Optional<Caller> caller(String token);
}
