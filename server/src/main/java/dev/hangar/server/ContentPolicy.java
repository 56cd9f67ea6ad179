package dev.hangar.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Content-Security-Policy of every answer: the dashboard's scripts, styles and requests come
 * from this server alone, so that text a job put in a page (its output, its error), should it ever
 * reach the page as markup, runs nothing and sends the token nowhere. The page's one inline script,
 * its import map, is allowed by its hash, taken from the page as served.
 */
final class ContentPolicy {
    private static final Pattern IMPORT_MAP = Pattern.compile("<script type=\"importmap\">(.*?)</script>", Pattern.DOTALL);

    private ContentPolicy() {}

    /** The policy for a server whose dashboard page is {@code page} (null: a server without the dashboard). */
    static String of(URL page) {
        String importMap = page == null ? "" : importMapHash(page);
        return "default-src 'self'; script-src 'self'" + importMap + "; style-src 'self'; img-src 'self' data:;"
                + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    private static String importMapHash(URL page) {
        String html;
        try (InputStream in = page.openStream()) {
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dashboard's page " + page, e);
        }
        Matcher script = IMPORT_MAP.matcher(html);
        if (!script.find()) {
            return "";
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(script.group(1).getBytes(StandardCharsets.UTF_8));
            return " 'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
