package dev.hangar.cli;

import dev.hangar.server.auth.TokensFile;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --tokens FILE}: the API tokens a server accepts, for the commands that run one. */
final class TokensOption {
    @Option(names = "--tokens", paramLabel = "FILE", description = "Accept only callers with an API token of this file"
            + " (lines 'TENANT TOKEN [admin]'; make them with 'hangar token'); each tenant sees only its own jobs."
            + " A change to the file is in force within a second."
            + " Default: $HANGAR_TOKENS_FILE, else no token is needed", defaultValue = "${env:HANGAR_TOKENS_FILE}")
    Path file;

    /** The tokens, read now (a bad file stops the command before anything starts) and again as the file changes. */
    Optional<TokensFile> read() {
        try {
            return file == null ? Optional.empty() : Optional.of(TokensFile.open(file, TokensFile.CHECK_EVERY));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--tokens (or HANGAR_TOKENS_FILE): " + e.getMessage(), e);
        }
    }
}
