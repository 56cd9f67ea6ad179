package dev.hangar.server.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The tokens of a tokens file, read again when the file changes, so that a token is added or
 * revoked without restarting the servers. A lookup looks at the file's modification time, size and
 * identity at most once per {@code checkEvery}. A changed file that cannot be read, or is not a good
 * tokens file (a bad line, no token), leaves the tokens read before in force, with a warning: an
 * editor's half-written file must not let in, nor lock out, every caller. Replacing the file with a
 * rename is the safe way to change it.
 */
public final class TokensFile implements TokenLookup {
    /** How often a server looks at its tokens file. */
    public static final Duration CHECK_EVERY = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger(TokensFile.class.getName());

    private final Path file;
    private final long checkEveryNanos;
    private volatile ApiTokens tokens;
    private Stamp readAt;
    private Stamp refusedAt;
    private volatile long nextCheck;

    private TokensFile(Path file, Duration checkEvery, ApiTokens tokens, Stamp readAt) {
        this.file = file;
        this.checkEveryNanos = checkEvery.toNanos();
        this.tokens = tokens;
        this.readAt = readAt;
        this.nextCheck = System.nanoTime() + checkEveryNanos;
    }

    /** Reads the file now; an {@link IllegalArgumentException} names the line and what is wrong with it. */
    public static TokensFile open(Path file, Duration checkEvery) {
        Stamp stamp = Stamp.of(file);
        return new TokensFile(file, checkEvery, ApiTokens.read(file), stamp);
    }

    @Override
    public Optional<Caller> caller(String token) {
        if (System.nanoTime() - nextCheck >= 0) {
            readAgainIfChanged();
        }
        return tokens.caller(token);
    }

    private synchronized void readAgainIfChanged() {
        if (System.nanoTime() - nextCheck < 0) {
            return; // another request looked meanwhile
        }
        nextCheck = System.nanoTime() + checkEveryNanos;
        Stamp now = Stamp.of(file);
        if (now.equals(readAt)) {
            return;
        }
        try {
            tokens = ApiTokens.read(file);
            readAt = now;
            refusedAt = null;
            LOG.log(System.Logger.Level.INFO, "tokens file " + file + " changed: " + tokens.size() + " tokens now");
        } catch (IllegalArgumentException e) {
            if (!now.equals(refusedAt)) {
                LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; the tokens read before stay in force");
            }
            refusedAt = now;
        }
    }

    /** What tells that a file changed: its modification time, size and identity (a file put in its place). */
    private record Stamp(Object modified, long size, Object key) {
        static Stamp of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(a.lastModifiedTime(), a.size(), Objects.requireNonNullElse(a.fileKey(), ""));
            } catch (IOException e) {
                return new Stamp("", -1, ""); // gone or unreadable: a change, which reading then reports
            }
        }
    }
}
