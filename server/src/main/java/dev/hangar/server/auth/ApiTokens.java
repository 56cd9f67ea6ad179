package dev.hangar.server.auth;

import dev.hangar.core.job.JobSpecValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The API tokens a server accepts, each naming its tenant, read from a file of lines
 * {@code TENANT TOKEN [admin]}. A token is written either as itself or as {@code sha256:HEX}, the
 * SHA-256 of it (so the file need not hold the token; {@code hangar token} makes both). Blank lines
 * and lines starting with {@code #} are skipped.
 */
public final class ApiTokens implements TokenLookup {
    /** The shortest token accepted: shorter ones can be guessed. */
    public static final int MIN_TOKEN_CHARS = 20;
    private static final String SHA256 = "sha256:";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Callers by the SHA-256 of their token, in hex: a lookup compares hashes, never the tokens. */
    private final Map<String, Caller> byHash;

    private ApiTokens(Map<String, Caller> byHash) {
        this.byHash = Map.copyOf(byHash);
    }

    /** How many tokens it holds. */
    public int size() {
        return byHash.size();
    }

    /** Reads a tokens file; an {@link IllegalArgumentException} names the line and what is wrong with it. */
    public static ApiTokens read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("tokens file " + file + ": cannot be read (" + e.getMessage() + ")", e);
        }
        Map<String, Caller> byHash = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "tokens file " + file + " line " + (i + 1) + ": ";
            String[] words = line.split("\\s+");
            if (words.length < 2 || words.length > 3 || (words.length == 3 && !words[2].equals("admin"))) {
                throw new IllegalArgumentException(where + "must be TENANT TOKEN, or TENANT TOKEN admin");
            }
            if (!JobSpecValidator.TENANT.matcher(words[0]).matches()) {
                // why the word is not quoted: a token written first (the columns swapped) would land in the log
                throw new IllegalArgumentException(where + "its first word, the tenant, " + JobSpecValidator.TENANT_RULE
                        + " (is it the token? a line is TENANT TOKEN)");
            }
            String hash = hashOf(words[1], where);
            Caller earlier = byHash.put(hash, new Caller(words[0], words.length == 3));
            if (earlier != null) {
                throw new IllegalArgumentException(where + "this token is given already, to tenant " + earlier.tenant());
            }
        }
        if (byHash.isEmpty()) {
            // why refuse: a server told to check tokens that has none would refuse every call
            throw new IllegalArgumentException("tokens file " + file + ": has no token");
        }
        return new ApiTokens(byHash);
    }

    private static String hashOf(String written, String where) {
        if (written.startsWith(SHA256)) {
            String hex = written.substring(SHA256.length());
            if (!HEX64.matcher(hex).matches()) {
                throw new IllegalArgumentException(where + "a sha256: token must be 64 lower-case hex digits");
            }
            return hex;
        }
        if (written.length() < MIN_TOKEN_CHARS) {
            throw new IllegalArgumentException(where + "token is shorter than " + MIN_TOKEN_CHARS + " characters");
        }
        return sha256(written);
    }

    @Override
    public Optional<Caller> caller(String token) {
        return Optional.ofNullable(byHash.get(sha256(token)));
    }

    /** A new random token: 32 bytes, base64url. */
    public static String newToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The token as a tokens file may hold it: {@code sha256:HEX}. */
    public static String hashed(String token) {
        return SHA256 + sha256(token);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
